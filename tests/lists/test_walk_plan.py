"""How a block walk cuts the users table into pages: every block once, in as few rounds as the page
limit allows, the pages of even size."""

import pytest

from domain.lists.membership import even_page_blocks


@pytest.mark.parametrize(
    ("end_block", "lanes", "most"),
    [(26_956, 2, 8_000), (8_000, 2, 8_000), (16_001, 2, 8_000), (1, 2, 8_000), (100_001, 3, 1_000), (5, 3, 1)],
)
def test_pages_cover_the_table_in_the_fewest_rounds(end_block: int, lanes: int, most: int):
    size = even_page_blocks(end_block, lanes, most)
    pages = -(-end_block // size)
    fewest_rounds = -(-end_block // (lanes * most))
    assert 1 <= size <= most
    assert pages * size >= end_block  # every block is in a page
    assert pages <= fewest_rounds * lanes  # no round more than pages of the largest size would take


def test_a_million_users_table_is_four_even_pages_two_at_a_time():
    assert even_page_blocks(26_956, 2, 8_000) == 6_739  # not 8,000 + 8,000 + 8,000 + 2,956
    assert even_page_blocks(0, 2, 8_000) == 1  # an empty table is one empty page
