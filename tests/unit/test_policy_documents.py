"""Policy documents compared by meaning: one spelling per meaning, whatever IAM returns."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from gdpr_operator.reconcilers._documents import normalised, parse_policy, same_policy
from gdpr_operator.reconcilers.instance_profiles._policy import EC2_TRUST_POLICY

TRUST_JSON = json.dumps(EC2_TRUST_POLICY)


@pytest.mark.parametrize(
    "document",
    [
        dict(EC2_TRUST_POLICY),
        TRUST_JSON,
        quote(TRUST_JSON),  # as IAM's API returns it
        # The statement as an object, not a list of one.
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
        },
        # Values as lists of one, an action in another case, a Sid.
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TrustEc2",
                    "Effect": "Allow",
                    "Principal": {"Service": ["ec2.amazonaws.com"]},
                    "Action": ["STS:AssumeRole"],
                }
            ],
        },
    ],
)
def test_spellings_of_the_ec2_trust_are_the_same_policy(document: Any) -> None:
    assert same_policy(document, EC2_TRUST_POLICY)


@pytest.mark.parametrize(
    "document",
    [
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        },
        {
            "Version": "2012-10-17",
            "Statement": [
                dict(EC2_TRUST_POLICY["Statement"][0]),
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                    "Action": "sts:AssumeRole",
                },
            ],
        },
        {"Version": "2012-10-17", "Statement": []},
    ],
)
def test_other_trusts_differ(document: Any) -> None:
    assert not same_policy(document, EC2_TRUST_POLICY)


def test_statement_order_and_value_order_do_not_matter() -> None:
    first = {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    }
    second = {
        "Effect": "Allow",
        "Action": "logs:PutLogEvents",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-north-1"]}},
    }
    reordered = [
        {
            **second,
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-north-1", "eu-west-1"]}},
        },
        {
            **first,
            "Action": ["s3:ListBucket", "s3:GetObject"],
            "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"],
        },
    ]
    assert same_policy(
        {"Version": "2012-10-17", "Statement": [first, second]},
        {"Version": "2012-10-17", "Statement": reordered},
    )


def test_normalised_form() -> None:
    assert normalised(quote(TRUST_JSON)) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com"]},
                "Action": ["sts:assumerole"],
            }
        ],
    }


def test_a_literal_percent_in_plain_json_is_kept() -> None:
    document = (
        '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
        '"Resource": "arn:aws:s3:::b/100%25"}]}'
    )
    assert parse_policy(document)["Statement"][0]["Resource"] == "arn:aws:s3:::b/100%25"


def test_a_document_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        parse_policy("[]")
