"""`account-link/<link id>`: email an invitation or password-reset link through a project's provider,
retrying while the provider is unreachable."""

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.accounts import AccountActivities
    from domain.accounts.payloads import SEND_ACCOUNT_LINK_WORKFLOW, AccountLinkEmail
    from workflows.policies import PROVIDER_RETRY, STEP


@workflow.defn(name=SEND_ACCOUNT_LINK_WORKFLOW)
class SendAccountLink:
    @workflow.run
    async def run(self, job: AccountLinkEmail) -> bool:
        return await workflow.execute_activity_method(
            AccountActivities.send_account_link, job, start_to_close_timeout=STEP, retry_policy=PROVIDER_RETRY
        )
