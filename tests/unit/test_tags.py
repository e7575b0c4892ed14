from gdpr_operator.aws import tag_list, tag_map


def test_a_mapping_becomes_a_tag_list_sorted_by_key_and_back() -> None:
    tags = {"owner": "web/monitoring", "managed-by": "gdpr-operator"}

    listed = tag_list(tags)

    assert listed == [
        {"Key": "managed-by", "Value": "gdpr-operator"},
        {"Key": "owner", "Value": "web/monitoring"},
    ]
    assert tag_map(listed) == tags
    assert tag_list({}) == []
    assert tag_map([]) == {}
