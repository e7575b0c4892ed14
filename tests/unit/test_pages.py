"""Pagination from the service's pagination model, one plain call per page."""

from __future__ import annotations

import pytest

from gdpr_operator.aws._pages import paging


def test_next_token_pages_carry_the_parameters_and_the_token() -> None:
    pages = paging("ec2", "describe_instances")
    first = pages.first({"Filters": [], "PaginationConfig": {"PageSize": 50}})
    assert first == {"Filters": [], "MaxResults": 50}

    following = pages.next(first, {"Reservations": [], "NextToken": "t1"})
    assert following == {"Filters": [], "MaxResults": 50, "NextToken": "t1"}
    assert pages.next(following, {"Reservations": [], "NextToken": ""}) is None
    assert pages.next(following, {"Reservations": []}) is None


def test_more_results_decides_where_the_model_has_it() -> None:
    pages = paging("iam", "list_roles")
    assert pages.next({}, {"Roles": [], "IsTruncated": False, "Marker": "m"}) is None
    assert pages.next({}, {"Roles": [], "IsTruncated": True, "Marker": "m"}) == {"Marker": "m"}


def test_a_repeated_token_is_an_error_not_a_loop() -> None:
    pages = paging("logs", "describe_log_groups")
    with pytest.raises(RuntimeError, match="same next token"):
        pages.next({"nextToken": "t"}, {"logGroups": [], "nextToken": "t"})


def test_unsupported_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="does not paginate"):
        paging("guardduty", "create_detector")
    with pytest.raises(ValueError, match="MaxItems"):
        paging("ec2", "describe_instances").first({"PaginationConfig": {"MaxItems": 3}})
