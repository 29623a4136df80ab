"""The data tools: JSONPath queries, CSV filters and aggregates, record transforms, no eval.

python examples/tools_data.py
"""

from __future__ import annotations

from llmkit.tools.builtin import Refused, data

ORDERS = {
    "orders": [
        {"id": 1, "customer": {"name": "Ada", "city": "London"}, "total": 120.0},
        {"id": 2, "customer": {"name": "Linus", "city": "Helsinki"}, "total": 35.5},
        {"id": 3, "customer": {"name": "Grace", "city": "London"}, "total": 80.25},
    ]
}
SALES = (
    "region,product,units,price\nnorth,pen,10,1.5\nnorth,ink,2,7\nsouth,pen,4,1.5\nsouth,pad,5,3\n"
)


def main() -> None:
    tools = {t.name: t for t in data()}
    print("Tools:", ", ".join(tools))
    print("Big orders:", tools["json_query"](ORDERS, "$.orders[?(@.total > 50)].customer.name"))
    print("All cities:", tools["json_query"](ORDERS, "$..city"))
    print(
        "North pens:",
        tools["csv_query"](SALES, where="region == 'north' and product == 'pen'")["rows"],
    )
    print(
        "By region:",
        tools["csv_aggregate"](
            SALES, {"units": "sum(units)", "lines": "count()"}, group_by=["region"]
        ),
    )
    records = [{"name": "kit", "qty": 3, "price": 9.5}, {"name": "bolt", "qty": 40, "price": 0.2}]
    steps = [{"map": {"value": "qty * price"}}, {"sort": "-value"}, {"select": ["name", "value"]}]
    print("Transformed:", tools["transform_records"](records, steps))
    try:
        tools["transform_records"](records, [{"filter": "__import__('os').system('id')"}])
    except Refused as exc:
        print(f"[{exc.rule}] {exc}")


if __name__ == "__main__":
    main()
