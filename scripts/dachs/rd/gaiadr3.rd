<resource schema="gaiadr3" resdir="xrbvo">
	<meta name="title">Simulated Gaia DR3 source table</meta>
	<meta name="description">Simulated sky of xrbvo (xrbvo.sim.simulate_sky) served under the
		schema, table and column names of the Gaia archive (gaiadr3.gaia_source), for xrbvo's TAP integration tests.
		Not real data.</meta>
	<meta name="creationDate">2024-01-01T00:00:00</meta>
	<meta name="subject">X-ray binaries</meta>
	<meta name="creator.name">xrbvo developers</meta>
	<meta name="_dataUpdated">2024-01-01</meta>
	<table id="gaia_source" onDisk="True" adql="True" primary="source_id"
			mixin="//scs#pgs-pos-index">
		<column name="source_id" type="bigint" ucd="meta.id;meta.main" required="True"/>
		<column name="ra" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"/>
		<column name="dec" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"/>
		<column name="ra_error" type="double precision" unit="mas" ucd="stat.error;pos.eq.ra"/>
		<column name="dec_error" type="double precision" unit="mas" ucd="stat.error;pos.eq.dec"/>
		<column name="ref_epoch" type="double precision" unit="yr" ucd="meta.ref;time.epoch"/>
		<column name="phot_g_mean_mag" type="double precision" unit="mag" ucd="phot.mag;em.opt"/>
		<column name="phot_bp_mean_mag" type="double precision" unit="mag" ucd="phot.mag;em.opt.B"/>
		<column name="phot_rp_mean_mag" type="double precision" unit="mag" ucd="phot.mag;em.opt.R"/>
		<column name="parallax" type="double precision" unit="mas" ucd="pos.parallax.trig"/>
		<column name="parallax_error" type="double precision" unit="mas" ucd="stat.error;pos.parallax.trig"/>
		<column name="pmra" type="double precision" unit="mas/yr" ucd="pos.pm;pos.eq.ra"/>
		<column name="pmdec" type="double precision" unit="mas/yr" ucd="pos.pm;pos.eq.dec"/>
		<column name="astrometric_excess_noise" type="double precision" unit="mas" ucd="stat.value"/>
		<column name="astrometric_excess_noise_sig" type="double precision" ucd="stat.value"/>
		<column name="ruwe" type="double precision" ucd="stat.error"/>
		<column name="phot_g_mean_flux_over_error" type="double precision" ucd="stat.snr;phot.mag;em.opt"/>
		<column name="phot_g_n_obs" type="integer" ucd="meta.number"/>
	</table>
	<data id="import">
		<sources>data/gaia_source.fits</sources>
		<fitsTableGrammar/>
		<make table="gaia_source">
			<rowmaker idmaps="*"></rowmaker>
		</make>
	</data>
</resource>
