"""Machines in the order the shop lists them (scheduler_core.domain.model.in_shop_order)."""

from __future__ import annotations

from scheduler_core.domain.model import Machine, in_shop_order


def test_groups_in_the_order_they_came_and_codes_with_numbers_as_numbers() -> None:
    came = [Machine("车床-10", "", "车削"), Machine("铣床-1", "", "铣削"), Machine("车床-2", "", "车削"),
            Machine("质检台", "", "检验"), Machine("钻床-1", "", "钻孔"), Machine("CNC-9", "", "铣削")]
    assert [m.id for m in in_shop_order(came)] == ["车床-2", "车床-10", "CNC-9", "铣床-1", "质检台", "钻床-1"]
    # by code point the Chinese codes would read 质检台, 车床-10, 车床-2, 钻床-1, 铣床-1: no order a shop keeps
    assert in_shop_order([]) == []
