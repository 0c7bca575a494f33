"""What every Amphoe Sang Suk service shares: schemas, the district registry, config and adapters."""
