//! Whatever the data, every chart is well-formed, accessible SVG: odd text, NaN, infinities,
//! negative and huge values, ragged series.

mod common;

use charts::{
    BarChart, ChartData, ChartOptions, DistrictMap, Lang, LineChart, NANJING_DISTRICTS,
    Orientation, Series, StackedBarChart, TargetLine,
};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        6 => -1e6f64..1e6,
        2 => 0.0f64..100.0,
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => -1e15f64..1e15,
    ]
}

fn label() -> impl Strategy<Value = String> {
    // CJK, Latin, markup characters, quotes, control characters and emoji.
    "[a-zA-Z0-9 <>&\"'\\t\\x00-\\x08鼓楼区江北新区雨花台🙂]{0,30}"
}

fn chart_data() -> impl Strategy<Value = ChartData> {
    (
        prop::collection::vec(label(), 0..14),
        prop::collection::vec((label(), prop::collection::vec(value(), 0..16)), 0..5),
        label(),
    )
        .prop_map(|(categories, series, unit)| ChartData {
            categories,
            series: series
                .into_iter()
                .map(|(name, values)| Series::new(name, values))
                .collect(),
            unit,
        })
}

fn chart_options() -> impl Strategy<Value = ChartOptions> {
    (
        label(),
        label(),
        200.0f64..2000.0,
        prop::option::of(0usize..4),
        any::<bool>(),
    )
        .prop_map(|(id, title, width, decimals, english)| ChartOptions {
            id,
            title,
            width,
            decimals,
            lang: if english { Lang::En } else { Lang::Zh },
            no_data: "暂无数据".into(),
            ..ChartOptions::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_chart_is_valid_svg_for_any_data(
        data in chart_data(),
        options in chart_options(),
        target in value(),
    ) {
        for orientation in [Orientation::Vertical, Orientation::Horizontal] {
            common::chart(&BarChart { options: options.clone(), orientation }.render(&data));
            common::chart(&StackedBarChart { options: options.clone(), orientation }.render(&data));
        }
        common::chart(
            &LineChart {
                options: options.clone(),
                target: Some(TargetLine { value: target, label: "目标".into() }),
                start_at_zero: target > 0.0,
            }
            .render(&data),
        );
    }

    #[test]
    fn the_map_is_valid_svg_for_any_values(
        values in prop::collection::vec(value(), 12),
        keep in prop::collection::vec(any::<bool>(), 12),
        options in chart_options(),
    ) {
        let values: Vec<(String, f64)> = NANJING_DISTRICTS
            .iter()
            .zip(values)
            .zip(keep)
            .filter(|(_, keep)| *keep)
            .map(|((d, v), _)| (d.english_short.to_owned(), v))
            .collect();
        let map = DistrictMap { options, unit: "人".into() };
        let svg = map.render(&values).map_err(|e| TestCaseError::fail(e.to_string()))?;
        common::chart(&svg);
    }
}
