"""Clients on the layer's shared loader share their class per service and nothing else."""

from __future__ import annotations

from typing import Any

from botocore.session import Session

from gdpr_operator.aws._shared_models import shared_loader


def ec2_client(access_key: str, loader: Any = None) -> Any:
    session = Session()
    if loader is not None:
        session.register_component("data_loader", loader)
    session.set_credentials(access_key, "secret")
    return session.create_client("ec2", region_name="eu-west-1")


def signed_by(client: Any) -> str:
    url = client.generate_presigned_url("describe_instances", Params={})
    return str(url.split("X-Amz-Credential=")[1].split("%2F")[0])


def test_clients_on_the_shared_loader_share_their_class_not_their_credentials() -> None:
    first, second = (
        ec2_client("AKIDFIRST", shared_loader()),
        ec2_client("AKIDSECOND", shared_loader()),
    )

    assert type(first) is type(second)
    assert (signed_by(first), signed_by(second)) == ("AKIDFIRST", "AKIDSECOND")
    assert first.meta.events is not second.meta.events


def test_the_shared_class_has_what_botocore_adds_to_a_client_class() -> None:
    shared, own = ec2_client("AKIDFIRST", shared_loader()), ec2_client("AKIDFIRST")

    assert type(shared) is not type(own)
    assert sorted(vars(type(shared))) == sorted(vars(type(own)))
    assert type(shared).__name__ == type(own).__name__ == "EC2"


def test_other_clients_are_built_as_botocore_builds_them() -> None:
    shared_loader()  # hooks botocore
    assert type(ec2_client("AKIDFIRST")) is not type(ec2_client("AKIDFIRST"))
