<resource schema="vphas" resdir="xrbvo">
	<meta name="title">Simulated VPHAS+ DR2 sources</meta>
	<meta name="description">Simulated sky of xrbvo (xrbvo.sim.simulate_sky with extra_surveys=("vphas",)) served under
		the column names of VizieR II/341/vphasp (the registry maps the table name), for xrbvo's TAP integration tests.
		Not real data.</meta>
	<meta name="creationDate">2024-01-01T00:00:00</meta>
	<meta name="subject">X-ray binaries</meta>
	<meta name="creator.name">xrbvo developers</meta>
	<meta name="_dataUpdated">2024-01-01</meta>
	<table id="dr2" onDisk="True" adql="True" mixin="//scs#pgs-pos-index">
		<column name="VPHASDR2" type="text" ucd="meta.id;meta.main"/>
		<column name="RAJ2000" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"/>
		<column name="DEJ2000" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"/>
		<column name="rmag" type="double precision" unit="mag" ucd="phot.mag;em.opt.R"/>
		<column name="e_rmag" type="double precision" unit="mag" ucd="stat.error;phot.mag"/>
		<column name="Hamag" type="double precision" unit="mag" ucd="phot.mag;em.opt.R;spect.line"/>
		<column name="e_Hamag" type="double precision" unit="mag" ucd="stat.error;phot.mag"/>
		<column name="imag" type="double precision" unit="mag" ucd="phot.mag;em.opt.I"/>
		<column name="e_imag" type="double precision" unit="mag" ucd="stat.error;phot.mag"/>
	</table>
	<data id="import">
		<sources>data/vphas.fits</sources>
		<fitsTableGrammar/>
		<make table="dr2">
			<rowmaker idmaps="*"/>
		</make>
	</data>
</resource>
