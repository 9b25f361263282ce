"""`provider/<id>/test/<n>`: connect to a provider as a send would (and optionally send a test message),
once: the person who asked is waiting for the answer, not for retries."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.messaging import MessagingActivities
    from domain.messaging.payloads import TEST_PROVIDER_WORKFLOW, ProviderTestInput, ProviderTestResult
    from workflows.policies import ONCE, STEP


@workflow.defn(name=TEST_PROVIDER_WORKFLOW)
class TestProvider:
    @workflow.run
    async def run(self, job: ProviderTestInput) -> ProviderTestResult:
        return await workflow.execute_activity_method(
            MessagingActivities.test_provider, job, start_to_close_timeout=STEP, retry_policy=ONCE
        )
