"""Scenario: the validated, frozen input of one run, read from TOML, with overrides and a schema.

Conventions (docs/scenario.md says more): time inside the model is hours; a key ends in `_h`
(hours) or `_days` (24 calendar hours) when it is a duration; money is in the scenario's one
`currency`; random quantities are distribution specs (flexsim.dists) and a bare number means a
deterministic value; MOQ and payment settings belong to a sales channel. Defaults live in this
package and nowhere else.

The package re-exports its public names, split by the noun each module owns: `fields` (the
field types and name vocabularies the parts share), `plant` (calendars, lines, factories),
`trade` (channels, payment, customers, finance), `sellers` (sellers and their items), `root`
(the Scenario model, its cross-checks, overrides and validation) and `files` (loading, `--set`
values, the JSON Schema).
"""

from flexsim.scenario.alliances import (
    LEAD_NAME,
    AllianceSpec,
    MemberRole,
    MemberSpec,
    SharingRule,
)
from flexsim.scenario.channels import (
    Channels,
    ChannelSpec,
    CustomerSpec,
    EcommerceChannel,
    FinanceSpec,
    OfflineChannel,
    PaymentSpec,
)
from flexsim.scenario.fields import (
    ALWAYS_OPEN,
    POLLING_RULES,
    WEEKDAYS,
    ChannelName,
    Days,
    DispatchName,
    Families,
    ListAt,
    Money,
    Name,
    NonNegative,
    Positive,
    PositiveDays,
    RegimeName,
    ReorderPolicyName,
    Share,
    WagesName,
    Weekday,
    step_workshop,
)
from flexsim.scenario.files import (
    DEFAULT_SCENARIO,
    builtin_names,
    builtin_text,
    json_schema,
    load,
    load_builtin,
    parse_assignments,
    parse_value,
)
from flexsim.scenario.plant import (
    BatchSpec,
    BookingSpec,
    BreakdownSpec,
    CalendarSpec,
    Changeover,
    FabricSpec,
    FactorySpec,
    Holiday,
    LineSpec,
    OvertimeSpec,
    SampleRoomSpec,
    Shift,
    build_calendar,
    clock_hours,
)
from flexsim.scenario.root import (
    Scenario,
    ScenarioError,
    format_validation_error,
    validate,
)
from flexsim.scenario.sellers import (
    ChoiceSpec,
    FunnelSpec,
    LifeCycleSpec,
    ReorderSpec,
    Season,
    SellersSpec,
)
from flexsim.scenario.workshops import SubcontractRule, SubcontractSpec, WorkshopSpec

__all__ = [
    "ALWAYS_OPEN",
    "DEFAULT_SCENARIO",
    "LEAD_NAME",
    "POLLING_RULES",
    "WEEKDAYS",
    "AllianceSpec",
    "BatchSpec",
    "BookingSpec",
    "BreakdownSpec",
    "CalendarSpec",
    "Changeover",
    "ChannelName",
    "ChannelSpec",
    "Channels",
    "ChoiceSpec",
    "CustomerSpec",
    "Days",
    "DispatchName",
    "EcommerceChannel",
    "FabricSpec",
    "FactorySpec",
    "Families",
    "FinanceSpec",
    "FunnelSpec",
    "Holiday",
    "LifeCycleSpec",
    "LineSpec",
    "ListAt",
    "MemberRole",
    "MemberSpec",
    "Money",
    "Name",
    "NonNegative",
    "OfflineChannel",
    "OvertimeSpec",
    "PaymentSpec",
    "Positive",
    "PositiveDays",
    "RegimeName",
    "ReorderPolicyName",
    "ReorderSpec",
    "SampleRoomSpec",
    "Scenario",
    "ScenarioError",
    "Season",
    "SellersSpec",
    "Share",
    "SharingRule",
    "Shift",
    "SubcontractRule",
    "SubcontractSpec",
    "WagesName",
    "Weekday",
    "WorkshopSpec",
    "build_calendar",
    "builtin_names",
    "builtin_text",
    "clock_hours",
    "format_validation_error",
    "json_schema",
    "load",
    "load_builtin",
    "parse_assignments",
    "parse_value",
    "step_workshop",
    "validate",
]
