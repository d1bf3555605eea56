<resource schema="external" resdir="xrbvo">
	<meta name="title">Simulated Bailer-Jones distances</meta>
	<meta name="description">Simulated sky of xrbvo (xrbvo.sim.simulate_sky) served under the
		schema, table and column names of the Gaia archive (external.gaiaedr3_distance, Bailer-Jones et al. 2021), for xrbvo's TAP integration tests.
		Not real data.</meta>
	<meta name="creationDate">2024-01-01T00:00:00</meta>
	<meta name="subject">X-ray binaries</meta>
	<meta name="creator.name">xrbvo developers</meta>
	<meta name="_dataUpdated">2024-01-01</meta>
	<table id="gaiaedr3_distance" onDisk="True" adql="True" primary="source_id">
		<column name="source_id" type="bigint" ucd="meta.id;meta.main" required="True"/>
		<column name="r_med_geo" type="double precision" unit="pc" ucd="pos.distance;stat.median"/>
	</table>
	<data id="import">
		<sources>data/gaiaedr3_distance.fits</sources>
		<fitsTableGrammar/>
		<make table="gaiaedr3_distance">
			<rowmaker idmaps="*"></rowmaker>
		</make>
	</data>
</resource>
