//! The configuration's own tests: files, environment, validation.
#![allow(clippy::result_large_err)] // figment's Jail closures return figment::Error

use super::*;
use figment::Jail;

#[test]
fn defaults_need_no_file() {
    Jail::expect_with(|_jail| {
        let config = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(config.listen.to_string(), "127.0.0.1:50051");
        assert_eq!(config.log_format, LogFormat::Text);
        assert!(config.database_url().starts_with("sqlite://"));
        assert!(config.indexers.is_empty());
        Ok(())
    });
}

#[test]
fn environment_overrides_the_file_with_nesting() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "musicagg.toml",
            r#"
            listen = "127.0.0.1:6000"
            log_format = "json"
            [qbittorrent]
            url = "http://file:8080"
            "#,
        )?;
        jail.set_env("MUSICAGG_LISTEN", "127.0.0.1:7000");
        jail.set_env("MUSICAGG_QBITTORRENT__URL", "http://env:8080");
        jail.set_env("MUSICAGG_TEST_SOMETHING", "not configuration");
        // every section may be set from the environment (a container's
        // way), the library and downloads among them
        jail.set_env("MUSICAGG_LIBRARY__PATH", "/music");
        jail.set_env("MUSICAGG_DOWNLOADS__STALLED_TIMEOUT", "2h");
        jail.set_env("MUSICAGG_MANUAL__CHOICE_TIMEOUT", "90m");
        let config = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(config.listen.to_string(), "127.0.0.1:7000");
        assert_eq!(config.library.path, Some(PathBuf::from("/music")));
        assert_eq!(config.downloads.stalled_timeout, Seconds(7200));
        assert_eq!(config.manual.choice_timeout, Seconds(5400));
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.musicbrainz.cache_ttl, Seconds(7 * 86_400));
        let qbt = config.qbittorrent.clone().expect("qbittorrent section");
        assert_eq!(qbt.url, "http://env:8080");
        assert_eq!(qbt.category, "music");

        // A numeric password from the environment is still a password.
        jail.set_env("MUSICAGG_QBITTORRENT__PASSWORD", "123456");
        let config = Config::load(None).map_err(|e| e.to_string())?;
        let password = config
            .qbittorrent
            .and_then(|q| q.password)
            .expect("password");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&password), "123456");
        jail.set_env("MUSICAGG_QBITTORRENT__PASSWORD", "[1, 2]");
        let err = Config::load(None).unwrap_err().to_string();
        assert!(
            err.to_lowercase().contains("password") && !err.contains("1, 2"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn errors_name_the_key() {
    Jail::expect_with(|jail| {
        jail.create_file("bad.toml", "listen = \"not an address\"")?;
        let err = Config::load(Some(Path::new("bad.toml"))).unwrap_err();
        assert!(err.to_string().contains("listen"), "{err}");

        jail.create_file("typo.toml", "lissten = \"127.0.0.1:1\"")?;
        let err = Config::load(Some(Path::new("typo.toml"))).unwrap_err();
        assert!(err.to_string().contains("lissten"), "{err}");

        jail.set_env("MUSICAGG_LOG_FORMAT", "xml");
        let err = Config::load(None).unwrap_err();
        assert!(
            err.to_string().to_lowercase().contains("log_format"),
            "{err}"
        );

        jail.create_file("ttl.toml", "[musicbrainz]\ncache_ttl = \"12h\"")?;
        jail.set_env("MUSICAGG_LOG_FORMAT", "json");
        let config = Config::load(Some(Path::new("ttl.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.musicbrainz.cache_ttl, Seconds(12 * 3600));
        jail.create_file("ttl.toml", "[musicbrainz]\ncache_ttl = \"2 weeks\"")?;
        let err = Config::load(Some(Path::new("ttl.toml"))).unwrap_err();
        assert!(err.to_string().contains("cache_ttl"), "{err}");

        let err = Config::load(Some(Path::new("missing.toml"))).unwrap_err();
        assert!(matches!(err, ConfigError::MissingFile(_)), "{err}");

        // durations that would overflow the clock are refused by name
        jail.create_file("rss.toml", "[wanted]\nrss_interval = \"99999d\"")?;
        let err = Config::load(Some(Path::new("rss.toml"))).unwrap_err();
        assert!(err.to_string().contains("wanted.rss_interval"), "{err}");
        jail.create_file(
            "keep.toml",
            "[wanted]\nkeep_replaced_days = 18446744073709551615",
        )?;
        let err = Config::load(Some(Path::new("keep.toml"))).unwrap_err();
        assert!(err.to_string().contains("keep_replaced_days"), "{err}");
        jail.create_file(
            "gap.toml",
            "[[indexers]]\nname = \"x\"\nurl = \"http://x\"\nmin_request_interval = 99999999\n",
        )?;
        let err = Config::load(Some(Path::new("gap.toml"))).unwrap_err();
        assert!(err.to_string().contains("min_request_interval"), "{err}");
        Ok(())
    });
}

#[test]
fn library_and_downloads_sections() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "full.toml",
            "[library]\npath = \"/srv/music\"\nimport_mode = \"copy\"\n\n\
             [downloads]\npoll_interval = 5\nstalled_timeout = \"30m\"\n\
             remove_failed = false\nretry_failed = true\nmax_retries = 2\n\n\
             [[downloads.path_mappings]]\nremote = \"/downloads\"\nlocal = \"/mnt/dl\"\n",
        )?;
        let config = Config::load(Some(Path::new("full.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.library.path, Some(PathBuf::from("/srv/music")));
        assert_eq!(config.library.import_mode, ImportMode::Copy);
        assert_eq!(config.downloads.stalled_timeout, Seconds(1800));
        assert!(!config.downloads.remove_failed);
        assert_eq!(config.downloads.max_retries, 2);
        assert_eq!(config.downloads.path_mappings[0].remote, "/downloads");
        // Defaults: hardlink, 5 s, 30 min, remove, retry, 3.
        jail.create_file("none.toml", "")?;
        let config = Config::load(Some(Path::new("none.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.library.import_mode, ImportMode::Hardlink);
        assert_eq!(config.downloads.poll_interval, Seconds(5));
        assert_eq!(config.downloads.stalled_timeout, Seconds(1800));
        assert!(config.downloads.remove_failed && config.downloads.retry_failed);
        assert_eq!(config.downloads.max_retries, 3);
        for (bad, key) in [
            ("[library]\nimport_mode = \"symlink\"", "import_mode"),
            ("[downloads]\nstalled_timeout = 0", "stalled_timeout"),
            ("[downloads]\npoll_interval = 0", "poll_interval"),
            ("[library]\npath = \"music\"", "library.path"),
            ("[downloads]\nretry = true", "retry"),
        ] {
            jail.create_file("bad.toml", bad)?;
            let err = Config::load(Some(Path::new("bad.toml"))).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
        Ok(())
    });
}

#[test]
fn manual_section_takes_the_usual_duration_forms() {
    Jail::expect_with(|jail| {
        jail.create_file("none.toml", "")?;
        let config = Config::load(Some(Path::new("none.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(
            config.manual.choice_timeout,
            Seconds(86_400),
            "24 h by default"
        );
        jail.create_file("manual.toml", "[manual]\nchoice_timeout = \"2d\"\n")?;
        let config = Config::load(Some(Path::new("manual.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.manual.choice_timeout, Seconds(172_800));
        for (bad, key) in [
            ("[manual]\nchoice_timeout = 0", "choice_timeout"),
            ("[manual]\nchoice_timeout = \"366d\"", "at most 365 days"),
            ("[manual]\nchoice_timeout = 99999999999", "choice_timeout"),
            ("[manual]\nchoice_timeout = \"soon\"", "soon"),
            ("[manual]\ntimeout = 5", "timeout"),
        ] {
            jail.create_file("bad.toml", bad)?;
            let err = Config::load(Some(Path::new("bad.toml"))).unwrap_err();
            assert!(err.to_string().contains(key), "{bad}: {err}");
        }
        jail.set_env("MUSICAGG_MANUAL__CHOICE_TIMEOUT", "90");
        let config = Config::load(Some(Path::new("manual.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(
            config.manual.choice_timeout,
            Seconds(90),
            "the environment wins"
        );
        Ok(())
    });
}

#[test]
fn the_web_listener_has_a_default_and_an_empty_value_turns_it_off() {
    Jail::expect_with(|jail| {
        let config = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(
            config.http_listen.map(|a| a.to_string()).as_deref(),
            Some("127.0.0.1:8686")
        );
        jail.create_file("off.toml", "http_listen = \"\"")?;
        let config = Config::load(Some(Path::new("off.toml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.http_listen, None);
        jail.create_file("bad.toml", "http_listen = \"the sofa\"")?;
        let error = Config::load(Some(Path::new("bad.toml")))
            .expect_err("not an address")
            .to_string();
        assert!(error.contains("http_listen"), "{error}");
        jail.set_env("MUSICAGG_HTTP_LISTEN", "127.0.0.1:9000");
        let config = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(
            config.http_listen.map(|a| a.to_string()).as_deref(),
            Some("127.0.0.1:9000")
        );
        jail.set_env("MUSICAGG_HTTP_LISTEN", "");
        let config = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(config.http_listen, None);
        Ok(())
    });
}

#[test]
fn metrics_is_on_by_default_and_turned_off_by_file_or_environment() {
    Jail::expect_with(|jail| {
        assert!(Config::load(None).map_err(|e| e.to_string())?.metrics);
        jail.create_file("off.toml", "metrics = false")?;
        let config = Config::load(Some(Path::new("off.toml"))).map_err(|e| e.to_string())?;
        assert!(!config.metrics);
        jail.create_file("bad.toml", "metrics = \"sometimes\"")?;
        let error = Config::load(Some(Path::new("bad.toml")))
            .expect_err("not a bool")
            .to_string();
        assert!(error.contains("metrics"), "{error}");
        jail.set_env("MUSICAGG_METRICS", "false");
        assert!(!Config::load(None).map_err(|e| e.to_string())?.metrics);
        Ok(())
    });
}
