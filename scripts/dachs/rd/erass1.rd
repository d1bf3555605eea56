<resource schema="erass1" resdir="xrbvo">
	<meta name="title">Simulated eRASS1 main catalogue</meta>
	<meta name="description">Simulated sky of xrbvo (xrbvo.sim.simulate_sky) served under the
		schema, table and column names of VizieR J/A+A/682/A34 (the registry maps the table name), for xrbvo's TAP integration tests.
		Not real data.</meta>
	<meta name="creationDate">2024-01-01T00:00:00</meta>
	<meta name="subject">X-ray binaries</meta>
	<meta name="creator.name">xrbvo developers</meta>
	<meta name="_dataUpdated">2024-01-01</meta>
	<table id="main" onDisk="True" adql="True" mixin="//scs#pgs-pos-index">
		<column name="IAUNAME" type="text" ucd="meta.id;meta.main"/>
		<column name="RA" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"/>
		<column name="DEC" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"/>
		<column name="POS_ERR" type="double precision" unit="arcsec" ucd="stat.error;pos"/>
		<column name="ML_FLUX_1" type="double precision" unit="erg/(s.cm**2)" ucd="phot.flux;em.X-ray"/>
		<column name="ML_FLUX_ERR_1" type="double precision" unit="erg/(s.cm**2)" ucd="stat.error;phot.flux"/>
		<column name="flux_hard" type="double precision" unit="erg/(s.cm**2)" ucd="phot.flux;em.X-ray"/>
		<column name="flux_hard_err" type="double precision" unit="erg/(s.cm**2)" ucd="stat.error;phot.flux"/>
		<column name="DET_LIKE_0" type="double precision" ucd="stat.likelihood"/>
	</table>
	<data id="import">
		<sources>data/erass1.fits</sources>
		<fitsTableGrammar/>
		<make table="main">
			<rowmaker idmaps="*"></rowmaker>
		</make>
	</data>
</resource>
