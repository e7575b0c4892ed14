"""The sandbox's CloudFormation makes AWS::SQS::QueuePolicy, which moto's skips: the policy
is set on the stack's queue, as in AWS."""

from __future__ import annotations

import json

from gdpr_operator.aws import AccountAccess, Aws, Target

REGION = "eu-west-1"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
        }
    ],
}


async def test_a_stack_s_queue_policy_is_set_on_its_queue(
    layer: Aws, scratch_account: AccountAccess
) -> None:
    target = Target(scratch_account, REGION)
    template = {
        "Resources": {
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "with-policy"}},
            "Policy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": POLICY},
            },
        }
    }
    await layer.call(
        target, "cloudformation", "create_stack", StackName="s", TemplateBody=json.dumps(template)
    )
    url = (await layer.call(target, "sqs", "get_queue_url", QueueName="with-policy"))["QueueUrl"]
    attributes = (
        await layer.call(
            target, "sqs", "get_queue_attributes", QueueUrl=url, AttributeNames=["Policy"]
        )
    )["Attributes"]
    (statement,) = json.loads(attributes["Policy"])["Statement"]
    assert statement["Resource"] == f"arn:aws:sqs:{REGION}:{scratch_account.account_id}:with-policy"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
