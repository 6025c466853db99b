//! Number formatting for the bench tables, shared by the bench binaries
//! (`#[path = "support/numbers.rs"] mod numbers;`).

/// `x` rounded to a whole number with `,` between thousands (`1234567.8` → `1,234,568`);
/// negative values read as 0.
pub fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
