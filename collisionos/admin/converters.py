"""Teach Flask-Admin about the UTC DateTime column: local-time form fields and date filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_admin.contrib.sqla.filters import FilterConverter
from flask_admin.contrib.sqla.form import AdminModelConverter
from flask_admin.form import DateTimeField
from flask_admin.model import filters
from flask_admin.model.form import converts

from collisionos.admin.formatters import shop_zone


class LocalDateTimeField(DateTimeField):
    """Staff type and read times in the shop's zone; the database gets UTC."""

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if isinstance(self.data, datetime):
            return self.data.astimezone(shop_zone()).strftime(
                self.format[0] if isinstance(self.format, list) else self.format
            )
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, datetime) and self.data.tzinfo is None:
            self.data = self.data.replace(tzinfo=shop_zone()).astimezone(UTC)


class ModelConverter(AdminModelConverter):
    @converts("UTCDateTime")
    def convert_utc_datetime(self, field_args: dict[str, Any], **_extra: Any) -> LocalDateTimeField:
        return LocalDateTimeField(**field_args)


class ShopFilterConverter(FilterConverter):
    @filters.convert("utcdatetime")
    def conv_utc_datetime(self, column: Any, name: str, **kwargs: Any) -> list[Any]:
        return self.conv_datetime(column, name, **kwargs)
