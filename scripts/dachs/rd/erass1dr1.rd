<resource schema="erass1dr1" resdir="xrbvo">
	<meta name="title">Simulated eRASS1 Main catalogue, as VizieR serves the release</meta>
	<meta name="description">The simulated sky of xrbvo written as the eRASS1 DR1 Main catalogue
		(xrbvo.sim.erass1.release_tables: extended and flagged sources, UID_Hard links) and served under the
		column names of VizieR J/A+A/682/A34/erass1-m (IAUName, DetUId, RA_ICRS, DE_ICRS, RAJ2000, DEJ2000,
		posErr, MLFlux1, e_MLFlux1, DetLike0, ExtLike, UIDHard, FlagSp...), for the tests of
		`xrbvo run SERVICE:TABLE --region`.  Not real data.</meta>
	<meta name="creationDate">2024-01-01T00:00:00</meta>
	<meta name="subject">X-ray binaries</meta>
	<meta name="creator.name">xrbvo developers</meta>
	<meta name="_dataUpdated">2024-01-01</meta>
	<table id="main" onDisk="True" adql="True" mixin="//scs#pgs-pos-index">
		<column name="IAUName" type="text" ucd="meta.id;meta.main"/>
		<column name="DetUId" type="text" ucd="meta.id"/>
		<column name="UID" type="bigint" ucd="meta.id"/>
		<column name="UIDHard" type="bigint" ucd="meta.id.cross"/>
		<column name="RA_ICRS" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"/>
		<column name="DE_ICRS" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"/>
		<column name="RAJ2000" type="double precision" unit="deg" ucd="pos.eq.ra"/>
		<column name="DEJ2000" type="double precision" unit="deg" ucd="pos.eq.dec"/>
		<column name="posErr" type="double precision" unit="arcsec" ucd="stat.error;pos"/>
		<column name="RADECErr" type="double precision" unit="arcsec" ucd="stat.error;pos"/>
		<column name="GLON" type="double precision" unit="deg" ucd="pos.galactic.lon"/>
		<column name="GLAT" type="double precision" unit="deg" ucd="pos.galactic.lat"/>
		<column name="MJD" type="double precision" unit="d" ucd="time.epoch"/>
		<column name="EXT" type="double precision" unit="arcsec" ucd="phys.angSize"/>
		<column name="ExtLike" type="double precision" ucd="stat.likelihood"/>
		<column name="DetLike0" type="double precision" ucd="stat.likelihood"/>
		<column name="MLCts1" type="double precision" unit="ct" ucd="phot.count;em.X-ray"/>
		<column name="MLFlux1" type="double precision" unit="erg/(s.cm**2)" ucd="phot.flux;em.X-ray"/>
		<column name="e_MLFlux1" type="double precision" unit="erg/(s.cm**2)" ucd="stat.error;phot.flux"/>
		<column name="FlagSpSnr" type="integer" ucd="meta.code"/>
		<column name="FlagSpBps" type="integer" ucd="meta.code"/>
		<column name="FlagSpScl" type="integer" ucd="meta.code"/>
		<column name="FlagSpLga" type="integer" ucd="meta.code"/>
		<column name="FlagSpGcCons" type="integer" ucd="meta.code"/>
	</table>
	<data id="import">
		<sources>data/erass1dr1.fits</sources>
		<fitsTableGrammar/>
		<make table="main">
			<rowmaker idmaps="*"></rowmaker>
		</make>
	</data>
</resource>
