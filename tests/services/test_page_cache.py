"""The generations that kept pages and 为您推荐's listing follow. Without Redis they live beside
the per-process cache, so a flood of kept pages (each with an address of its own) cannot evict
them: an evicted generation would be renewed, and everything kept in it thrown away."""

from app.extensions import cache
from app.services import page_cache


def _generations():
    return page_cache.generation(), page_cache.data_generation(), page_cache.listing_generation()


def test_a_flood_of_kept_pages_leaves_the_generations_as_they_are(app):
    with app.test_request_context():
        before = _generations()
        for n in range(app.config["CACHE_THRESHOLD"] * 3):
            cache.set(f"page:{n}", "<html>", timeout=30)
        assert _generations() == before


def test_each_renewal_gives_a_new_generation(app):
    with app.test_request_context():
        edition, data, listing = _generations()
        assert page_cache.new_listing_generation() != listing and page_cache.listing_generation() != listing
        assert page_cache.new_data_generation() != data and page_cache.new_generation() != edition
        assert page_cache.listing_generation() == page_cache.listing_generation()
