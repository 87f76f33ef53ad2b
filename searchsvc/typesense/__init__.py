"""The Typesense backend (``SEARCHSVC_BACKEND=typesense``): the same service on a Typesense
cluster. ``config`` (where the cluster is), ``client`` (retries across a leader change),
``documents`` (one document per paragraph, grouped by article), ``index`` (the manifest sync and
the alias swap), ``query`` / ``match`` (asking the cluster; what one search cannot express),
``catalog`` (the article records), ``backend`` (the seam ``search.Engine`` calls)."""
