<resource schema="catwise2020" resdir="xrbvo">
	<meta name="title">Simulated CatWISE2020</meta>
	<meta name="description">Simulated sky of xrbvo (xrbvo.sim.simulate_sky) served under the
		schema, table and column names of VizieR II/365/catwise (the registry maps the table name), for xrbvo's TAP integration tests.
		Not real data.</meta>
	<meta name="creationDate">2024-01-01T00:00:00</meta>
	<meta name="subject">X-ray binaries</meta>
	<meta name="creator.name">xrbvo developers</meta>
	<meta name="_dataUpdated">2024-01-01</meta>
	<table id="main" onDisk="True" adql="True" mixin="//scs#pgs-pos-index">
		<column name="Name" type="text" ucd="meta.id;meta.main"/>
		<column name="RA_ICRS" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"/>
		<column name="DE_ICRS" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"/>
		<column name="e_RA_ICRS" type="double precision" unit="arcsec" ucd="stat.error;pos.eq.ra"/>
		<column name="e_DE_ICRS" type="double precision" unit="arcsec" ucd="stat.error;pos.eq.dec"/>
		<column name="W1mproPM" type="double precision" unit="mag" ucd="phot.mag;em.IR.3-4um"/>
		<column name="e_W1mproPM" type="double precision" unit="mag" ucd="stat.error;phot.mag"/>
		<column name="W2mproPM" type="double precision" unit="mag" ucd="phot.mag;em.IR.4-8um"/>
		<column name="e_W2mproPM" type="double precision" unit="mag" ucd="stat.error;phot.mag"/>
		<column name="pmRA" type="double precision" unit="mas/yr" ucd="pos.pm;pos.eq.ra"/>
		<column name="pmDE" type="double precision" unit="mas/yr" ucd="pos.pm;pos.eq.dec"/>
	</table>
	<data id="import">
		<sources>data/catwise2020.fits</sources>
		<fitsTableGrammar/>
		<make table="main">
			<rowmaker idmaps="*"></rowmaker>
		</make>
	</data>
</resource>
