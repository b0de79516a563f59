//! Class weights under the class-balance chart: scikit-learn's "balanced" and the effective-number
//! weights (Cui et al. 2019) per class, to copy into a training script as a Python dict or JSON.

use eframe::egui;

use crate::core::analysis::balance::class_weights;

/// The weights table for per-class `counts` (labelled samples); `beta` is the effective number's.
pub fn weights_ui(ui: &mut egui::Ui, classes: &[String], counts: &[u64], beta: &mut f64) {
    ui.separator();
    ui.strong("Class weights");
    ui.horizontal(|ui| {
        ui.label("Effective-number beta");
        ui.add(
            egui::DragValue::new(beta)
                .range(0.0..=0.999_999)
                .speed(0.0001)
                .max_decimals(6),
        )
        .on_hover_text(
            "0 weighs every class alike; near 1, the weights approach inverse frequency",
        );
    });
    let w = class_weights(counts, *beta);
    egui::Grid::new("class_weights")
        .num_columns(4)
        .striped(true)
        .show(ui, |ui| {
            ui.label("Class");
            ui.label("Samples");
            ui.label("Balanced");
            ui.label("Effective number");
            ui.end_row();
            for (c, class) in classes.iter().enumerate() {
                ui.label(class);
                ui.label(counts.get(c).copied().unwrap_or(0).to_string());
                let cell = |v: Option<&Option<f64>>| match v {
                    Some(Some(x)) => format!("{x:.4}"),
                    _ => "-".into(),
                };
                ui.label(cell(w.balanced.get(c)));
                ui.label(cell(w.effective_number.get(c)));
                ui.end_row();
            }
        });
    ui.horizontal(|ui| {
        if ui
            .button("Copy as Python dict")
            .on_hover_text("The balanced weights, e.g. for class_weight= in scikit-learn or a loss")
            .clicked()
        {
            ui.ctx().copy_text(python_dict(classes, &w.balanced));
        }
        if ui
            .button("Copy as JSON")
            .on_hover_text(
                "Both weightings and the counts, as `spotcheck balance --json` prints them",
            )
            .clicked()
        {
            ui.ctx().copy_text(json(classes, counts, *beta));
        }
    });
}

/// `{"cat": 1.25, "dog": None}`: pastes into Python as it is.
pub fn python_dict(classes: &[String], weights: &[Option<f64>]) -> String {
    let items: Vec<String> = classes
        .iter()
        .zip(weights)
        .map(|(c, w)| {
            let key = serde_json::to_string(c).unwrap_or_default();
            match w {
                Some(x) => format!("{key}: {x}"),
                None => format!("{key}: None"),
            }
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

/// The `balance --json` document for the whole dataset.
pub fn json(classes: &[String], counts: &[u64], beta: f64) -> String {
    let w = class_weights(counts, beta);
    let map = |values: &[Option<f64>]| -> serde_json::Map<String, serde_json::Value> {
        classes
            .iter()
            .zip(values)
            .map(|(c, v)| (c.clone(), serde_json::json!(v)))
            .collect()
    };
    let counts: serde_json::Map<String, serde_json::Value> = classes
        .iter()
        .zip(counts)
        .map(|(c, n)| (c.clone(), serde_json::json!(n)))
        .collect();
    serde_json::json!({
        "split": null,
        "counts": counts,
        "weights": {
            "balanced": map(&w.balanced),
            "effective_number": map(&w.effective_number),
            "beta": beta,
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_python_dict_and_json_hold_the_weights() {
        let classes = vec!["cat".to_string(), "dog".to_string(), "eel".to_string()];
        // n = 4, two classes with samples: cat 4 / (2 * 3) = 2/3, dog 4 / (2 * 1) = 2.
        let d = python_dict(&classes, &class_weights(&[3, 1, 0], 0.999).balanced);
        assert_eq!(
            d,
            "{\"cat\": 0.6666666666666666, \"dog\": 2, \"eel\": None}"
        );
        let j: serde_json::Value = serde_json::from_str(&json(&classes, &[3, 1, 0], 0.5)).unwrap();
        assert_eq!(j["counts"]["cat"], 3);
        assert_eq!(j["weights"]["balanced"]["dog"], 2.0);
        assert!(j["weights"]["effective_number"]["eel"].is_null());
        // Effective number, beta 0.5: (1-b)/(1-b^3) = 4/7, (1-b)/(1-b) = 1, scaled to sum to 2.
        let (a, b) = (4.0 / 7.0, 1.0);
        let e = j["weights"]["effective_number"]["cat"].as_f64().unwrap();
        assert!((e - a / (a + b) * 2.0).abs() < 1e-12);
    }
}
