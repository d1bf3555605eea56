<resource schema="twomass" resdir="xrbvo">
	<meta name="title">Simulated 2MASS point sources</meta>
	<meta name="description">Simulated sky of xrbvo (xrbvo.sim.simulate_sky) served under the
		schema, table and column names of VizieR II/246/out (the registry maps the table name), for xrbvo's TAP integration tests.
		Not real data.</meta>
	<meta name="creationDate">2024-01-01T00:00:00</meta>
	<meta name="subject">X-ray binaries</meta>
	<meta name="creator.name">xrbvo developers</meta>
	<meta name="_dataUpdated">2024-01-01</meta>
	<table id="psc" onDisk="True" adql="True" mixin="//scs#pgs-pos-index">
		<column name="quoted/2MASS" type="text" ucd="meta.id;meta.main"/>
		<column name="RAJ2000" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"/>
		<column name="DEJ2000" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"/>
		<column name="errMaj" type="double precision" unit="arcsec" ucd="phys.angSize.smajAxis"/>
		<column name="errMin" type="double precision" unit="arcsec" ucd="phys.angSize.sminAxis"/>
		<column name="errPA" type="double precision" unit="deg" ucd="pos.posAng"/>
		<column name="Jmag" type="double precision" unit="mag" ucd="phot.mag;em.IR.J"/>
		<column name="e_Jmag" type="double precision" unit="mag" ucd="stat.error;phot.mag"/>
		<column name="Hmag" type="double precision" unit="mag" ucd="phot.mag;em.IR.H"/>
		<column name="e_Hmag" type="double precision" unit="mag" ucd="stat.error;phot.mag"/>
		<column name="Kmag" type="double precision" unit="mag" ucd="phot.mag;em.IR.K"/>
		<column name="e_Kmag" type="double precision" unit="mag" ucd="stat.error;phot.mag"/>
	</table>
	<data id="import">
		<sources>data/psc.fits</sources>
		<fitsTableGrammar/>
		<make table="psc">
			<rowmaker idmaps="*"><map dest="quoted/2MASS" src="2MASS"/></rowmaker>
		</make>
	</data>
</resource>
