//! Builds the configuration: defaults, then `conclave.toml`, then `CONCLAVE_*` environment
//! variables, then command-line flags. Any bad value stops start-up naming its key.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use conclave_core::Config;
use toml::Value;

/// Command-line overrides (the highest precedence).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
}

/// Environment variables that belong to tooling, not to the server's settings.
const NON_SETTING_VARS: &[&str] = &["CONCLAVE_CONFIG", "CONCLAVE_BIN"];

/// The environment variable for a dotted key: `auth.maximum_login_attempts` →
/// `CONCLAVE_AUTH_MAXIMUM_LOGIN_ATTEMPTS`, `listen` → `CONCLAVE_LISTEN`.
pub fn env_name(key: &str) -> String {
    format!("CONCLAVE_{}", key.replace('.', "_").to_uppercase())
}

/// Every leaf setting as (dotted key, default value).
fn leaves(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&key, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// Parses an environment string as the same type as the setting's default.
fn parse_like(default: &Value, raw: &str) -> Result<Value, String> {
    match default {
        Value::Boolean(_) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Value::Boolean(true)),
            "false" | "0" | "no" | "off" => Ok(Value::Boolean(false)),
            _ => Err("expected true or false".into()),
        },
        Value::Integer(_) => raw
            .trim()
            .parse()
            .map(Value::Integer)
            .map_err(|_| "expected an integer".into()),
        Value::Float(_) => raw
            .trim()
            .parse()
            .map(Value::Float)
            .map_err(|_| "expected a number".into()),
        _ => Ok(Value::String(raw.to_owned())),
    }
}

fn set_path(root: &mut Value, key: &str, value: Value) {
    let mut node = root;
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let table = node.as_table_mut().expect("settings nest only in tables");
        if parts.peek().is_none() {
            table.insert(part.to_owned(), value);
            return;
        }
        node = table
            .entry(part.to_owned())
            .or_insert_with(|| Value::Table(Default::default()));
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Table(b), Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

/// Loads the configuration from `file` (if any), `env` and `flags`.
pub fn load(
    overrides: &Overrides,
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<Config> {
    let env: Vec<(String, String)> = env.into_iter().collect();
    let env_get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());

    let defaults = Value::try_from(Config::default()).context("serializing defaults")?;
    let mut merged = defaults.clone();

    let file = overrides
        .config_file
        .clone()
        .or_else(|| env_get("CONCLAVE_CONFIG").map(PathBuf::from))
        .or_else(|| Some(PathBuf::from("conclave.toml")).filter(|p| p.exists()));
    if let Some(path) = &file {
        merge(&mut merged, read_file(path)?);
    }

    let mut known = Vec::new();
    leaves("", &defaults, &mut known);
    for (key, default) in &known {
        let name = env_name(key);
        if let Some(raw) = env_get(&name) {
            let value = parse_like(default, &raw)
                .map_err(|m| anyhow!("invalid config key `{key}` (from {name}): {m}"))?;
            set_path(&mut merged, key, value);
        }
    }
    for (name, _) in &env {
        let is_setting = known.iter().any(|(k, _)| env_name(k) == *name);
        if name.starts_with("CONCLAVE_")
            && !is_setting
            && !NON_SETTING_VARS.contains(&name.as_str())
            && !name.starts_with("CONCLAVE_TEST_")
        {
            eprintln!("warning: {name} is not a Conclave setting and is ignored");
        }
    }

    let mut config: Config = merged
        .try_into()
        .map_err(|e: toml::de::Error| anyhow!("invalid config: {e}"))?;
    if let Some(v) = &overrides.listen {
        config.listen = v.clone();
    }
    if let Some(v) = &overrides.data_dir {
        config.data_dir = v.clone();
    }
    if let Some(v) = &overrides.database_url {
        config.database_url = v.clone();
    }
    config.validate()?;
    Ok(config)
}

fn read_file(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    // Parse into the typed config first: its errors name the key and the line.
    if let Err(e) = toml::from_str::<Config>(&text) {
        bail!("invalid config file {}: {e}", path.display());
    }
    Ok(toml::from_str::<Value>(&text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn example_file_lists_the_defaults() {
        let example: Config =
            toml::from_str(include_str!("../../../conclave.example.toml")).unwrap();
        assert_eq!(example, Config::default());
        let mut documented = Vec::new();
        leaves("", &Value::try_from(&example).unwrap(), &mut documented);
        let text = include_str!("../../../conclave.example.toml");
        for (key, _) in documented {
            let leaf = key.rsplit('.').next().unwrap();
            assert!(
                text.contains(&format!("{leaf} =")),
                "conclave.example.toml lacks {key}"
            );
        }
    }

    #[test]
    fn defaults_load_and_validate() {
        let c = load(&Overrides::default(), env(&[])).unwrap();
        assert_eq!(c, Config::default());
    }

    #[test]
    fn env_overrides_every_section() {
        let c = load(
            &Overrides::default(),
            env(&[
                ("CONCLAVE_LISTEN", "127.0.0.1:9000"),
                ("CONCLAVE_AUTH_MAXIMUM_LOGIN_ATTEMPTS", "3"),
                ("CONCLAVE_RATE_LIMIT_ENABLE", "false"),
                ("CONCLAVE_SITE_NAME", "Acme Chat"),
            ]),
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:9000");
        assert_eq!(c.auth.maximum_login_attempts, 3);
        assert!(!c.rate_limit.enable);
        assert_eq!(c.site_name, "Acme Chat");
    }

    #[test]
    fn flags_beat_env() {
        let o = Overrides {
            listen: Some("127.0.0.1:1".into()),
            ..Overrides::default()
        };
        let c = load(&o, env(&[("CONCLAVE_LISTEN", "127.0.0.1:2")])).unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
    }

    #[test]
    fn bad_values_name_their_key() {
        let cases = [
            (
                "CONCLAVE_AUTH_MAXIMUM_LOGIN_ATTEMPTS",
                "many",
                "auth.maximum_login_attempts",
            ),
            (
                "CONCLAVE_AUTH_MAXIMUM_LOGIN_ATTEMPTS",
                "0",
                "auth.maximum_login_attempts",
            ),
            ("CONCLAVE_LISTEN", "nowhere", "listen"),
            ("CONCLAVE_DATABASE_URL", "mysql://x", "database_url"),
            ("CONCLAVE_RATE_LIMIT_ENABLE", "perhaps", "rate_limit.enable"),
            ("CONCLAVE_LOG_FORMAT", "xml", "log.format"),
        ];
        for (var, value, key) in cases {
            let err = load(&Overrides::default(), env(&[(var, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{var}={value}: {err}");
        }
    }

    #[test]
    fn config_file_is_read_and_checked() {
        let dir = std::env::temp_dir().join(format!("conclave-cfg-{}", conclave_model::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(
            &good,
            "site_name = \"From File\"\n[auth]\nenable_open_server = true\n",
        )
        .unwrap();
        let o = Overrides {
            config_file: Some(good),
            ..Overrides::default()
        };
        let c = load(&o, env(&[])).unwrap();
        assert_eq!(c.site_name, "From File");
        assert!(c.auth.enable_open_server);

        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "[auth]\nmaximum_login_attempt = 5\n").unwrap();
        let o = Overrides {
            config_file: Some(bad),
            ..Overrides::default()
        };
        let err = load(&o, env(&[])).unwrap_err().to_string();
        assert!(err.contains("maximum_login_attempt"), "{err}");

        let mistyped = dir.join("mistyped.toml");
        std::fs::write(&mistyped, "[rate_limit]\nper_second = \"fast\"\n").unwrap();
        let o = Overrides {
            config_file: Some(mistyped),
            ..Overrides::default()
        };
        let err = load(&o, env(&[])).unwrap_err().to_string();
        assert!(err.contains("per_second"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
