"""Jobs (a trade's share of a repair order), their steps, stage history, clocked time and attachments."""

from __future__ import annotations

from flask_admin.base import BaseView

from collisionos.admin.base import SecureModelView
from collisionos.admin.formatters import status_badge
from collisionos.models import Attachment, Job, JobStageHistory, LaborTimeEntry, WorkflowStatus

CATEGORY = "Repair Orders"


class JobView(SecureModelView):
    area = "jobs"
    simple_list_pager = True
    column_list = (
        "job_number",
        "repair_order",
        "job_type",
        "status",
        "customer",
        "total_amount",
        "target_delivery_date",
    )
    column_labels = {
        "job_number": "Job",
        "repair_order": "RO",
        "job_type": "Trade",
        "total_amount": "Total",
        "target_delivery_date": "Target delivery",
        "is_rush": "Rush",
        "is_archived": "Archived",
    }
    column_formatters = {"status": status_badge, "job_type": status_badge, "priority": status_badge}
    column_default_sort = [("id", True)]
    column_filters = ("status", "job_type", "priority", "is_rush", "is_archived", "target_delivery_date")
    column_searchable_list = ("job_number", "claim_number")

    def __init__(self) -> None:
        self.column_select_related_list = [Job.repair_order, Job.customer]
        super().__init__(Job, name="Jobs (trade sub-orders)", endpoint="jobs", category=CATEGORY)


class WorkflowStatusView(SecureModelView):
    area = "jobs"
    simple_list_pager = True
    column_list = (
        "job",
        "stage",
        "status",
        "technician",
        "started_at",
        "completed_at",
        "progress_percentage",
    )
    column_labels = {
        "started_at": "Started",
        "completed_at": "Completed",
        "progress_percentage": "Progress %",
        "has_issues": "Has issues",
    }
    column_formatters = {"stage": status_badge, "status": status_badge}
    column_default_sort = [("id", True)]
    column_filters = ("stage", "status", "has_issues", "started_at", "completed_at")

    def __init__(self) -> None:
        self.column_select_related_list = [WorkflowStatus.job, WorkflowStatus.technician]
        super().__init__(WorkflowStatus, name="Job Steps", endpoint="workflow_steps", category=CATEGORY)


class JobStageHistoryView(SecureModelView):
    area = "jobs"
    read_only = True
    simple_list_pager = True
    column_list = (
        "repair_order",
        "job",
        "from_stage",
        "to_stage",
        "movement_type",
        "transition_time",
        "stage_duration",
        "first_time_right",
    )
    column_labels = {
        "repair_order": "RO",
        "from_stage": "From",
        "to_stage": "To",
        "movement_type": "Movement",
        "transition_time": "Moved at",
        "stage_duration": "Time in stage (min)",
        "first_time_right": "First time right",
    }
    column_formatters = {"movement_type": status_badge}
    column_default_sort = [("transition_time", True), ("id", True)]
    column_filters = ("movement_type", "movement_reason", "to_stage", "first_time_right", "transition_time")

    def __init__(self) -> None:
        self.column_select_related_list = [JobStageHistory.repair_order, JobStageHistory.job]
        super().__init__(JobStageHistory, name="Stage History", endpoint="stage_history", category=CATEGORY)


class LaborTimeEntryView(SecureModelView):
    area = "jobs"
    simple_list_pager = True
    column_list = (
        "technician",
        "repair_order",
        "job",
        "clock_in",
        "clock_out",
        "hours_worked",
        "labor_type",
        "status",
    )
    column_labels = {
        "repair_order": "RO",
        "hours_worked": "Hours",
        "labor_type": "Labour type",
        "payroll_processed": "Payroll processed",
    }
    column_formatters = {"labor_type": status_badge, "status": status_badge}
    column_default_sort = [("clock_in", True), ("id", True)]
    column_filters = ("status", "labor_type", "approved", "payroll_processed", "clock_in")

    def __init__(self) -> None:
        self.column_select_related_list = [
            LaborTimeEntry.technician,
            LaborTimeEntry.repair_order,
            LaborTimeEntry.job,
        ]
        super().__init__(LaborTimeEntry, name="Labour Time", endpoint="labor_time_entries", category=CATEGORY)


class AttachmentView(SecureModelView):
    area = "jobs"
    simple_list_pager = True
    column_list = (
        "file_name",
        "category",
        "file_type",
        "repair_order",
        "customer",
        "upload_date",
        "file_size",
    )
    column_labels = {
        "file_name": "File",
        "file_type": "Type",
        "repair_order": "RO",
        "upload_date": "Uploaded",
        "file_size": "Size (bytes)",
    }
    column_formatters = {"category": status_badge, "file_type": status_badge, "status": status_badge}
    column_default_sort = [("upload_date", True), ("id", True)]
    column_filters = ("category", "file_type", "status", "visible_to_customer", "upload_date")
    column_searchable_list = ("file_name",)

    def __init__(self) -> None:
        self.column_select_related_list = [Attachment.repair_order, Attachment.customer]
        super().__init__(Attachment, name="Attachments", endpoint="attachments", category=CATEGORY)


def views() -> list[BaseView]:
    return [JobView(), WorkflowStatusView(), JobStageHistoryView(), LaborTimeEntryView(), AttachmentView()]
