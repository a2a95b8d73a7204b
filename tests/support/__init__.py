"""What the tests share: a live server, sites, batches, record strategies."""
