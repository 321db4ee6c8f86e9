"""Studies: thin scripts that wire marts, featurisers, models, evaluation and the report."""
