using System.Globalization;

namespace Karma.LoadTesting;

/// <summary>What <c>karma loadtest</c> does.</summary>
public enum LoadTestMode
{
    /// <summary>One run at a constant rate.</summary>
    Plain,

    /// <summary>The highest rate that holds the p99 objective.</summary>
    FindMax,

    /// <summary>A run with a burst at a higher rate in the middle.</summary>
    Storm,

    /// <summary>A long run at a share of the maximum, sampling the service's process.</summary>
    Soak,
}

/// <summary>
/// The options of <c>karma loadtest</c> as given; a nullable value is null when the option was not given, so options
/// that belong to another mode can be refused by name. <see cref="Validate"/> lists what is wrong.
/// </summary>
public sealed record LoadTestArguments
{
    /// <summary>--target.</summary>
    public string Target { get; init; } = "http://localhost:50051";

    /// <summary>--rps: the rate of a plain run, the normal rate of a storm, where find-max starts.</summary>
    public double Rps { get; init; } = 100;

    /// <summary>--duration (s).</summary>
    public double Duration { get; init; } = 10;

    /// <summary>--concurrency.</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>--warmup (s).</summary>
    public double Warmup { get; init; } = 2;

    /// <summary>--deadline-ms.</summary>
    public double DeadlineMs { get; init; } = 5000;

    /// <summary>--slo-p99 (ms).</summary>
    public double SloP99 { get; init; } = 50;

    /// <summary>--find-max.</summary>
    public bool FindMax { get; init; }

    /// <summary>--storm-rps.</summary>
    public double? StormRps { get; init; }

    /// <summary>--storm-seconds.</summary>
    public double? StormSeconds { get; init; }

    /// <summary>--storm-at (s after the warm-up).</summary>
    public double? StormAt { get; init; }

    /// <summary>--soak.</summary>
    public bool Soak { get; init; }

    /// <summary>--soak-share.</summary>
    public double? SoakShare { get; init; }

    /// <summary>--max-rps.</summary>
    public double? MaxRps { get; init; }

    /// <summary>--sample-seconds.</summary>
    public double? SampleSeconds { get; init; }

    /// <summary>--metrics-url.</summary>
    public string? MetricsUrl { get; init; }

    /// <summary>--find-max-duration (s per search run before a soak).</summary>
    public double? FindMaxDuration { get; init; }

    /// <summary>--probe-health (null: on for storm and soak, off otherwise).</summary>
    public bool? ProbeHealth { get; init; }

    /// <summary>--http-target (base URL of the service's HTTP port).</summary>
    public string? HttpTarget { get; init; }

    /// <summary>The mode the options select.</summary>
    public LoadTestMode Mode => Soak ? LoadTestMode.Soak
        : StormRps is not null || StormSeconds is not null ? LoadTestMode.Storm
        : FindMax ? LoadTestMode.FindMax
        : LoadTestMode.Plain;

    /// <summary>Whether health probes run.</summary>
    public bool Probing => ProbeHealth ?? Mode is LoadTestMode.Storm or LoadTestMode.Soak;

    /// <summary>The storm, for a storm run (call after <see cref="Validate"/> found nothing wrong).</summary>
    public StormSettings? Storm => Mode != LoadTestMode.Storm ? null
        : new StormSettings(StormRps!.Value, StormAt is { } at ? TimeSpan.FromSeconds(at) : StormSettings.DefaultAt(TimeSpan.FromSeconds(Duration), TimeSpan.FromSeconds(StormSeconds!.Value)),
            TimeSpan.FromSeconds(StormSeconds!.Value));

    /// <summary>The health probes, when probing: gRPC on the target, HTTP on --http-target (default: the target's host, port 8080).</summary>
    public HealthProbeOptions? Health => !Probing ? null : new HealthProbeOptions
    {
        GrpcTarget = new Uri(Target),
        HttpUrl = HttpTarget is null ? HealthProbeOptions.DefaultHttpUrl(new Uri(Target)) : new Uri(new Uri(HttpTarget), "/healthz"),
    };

    /// <summary>The Prometheus endpoint a soak samples (default: the target's host, port 8080, /metrics).</summary>
    public Uri MetricsUri => MetricsUrl is not null ? new Uri(MetricsUrl) : new UriBuilder("http", new Uri(Target).Host, 8080, "/metrics").Uri;

    /// <summary>Everything wrong with the combination, one readable line each; empty when it can run.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                errors.Add(message);
            }
        }

        Check(IsHttpUri(Target), $"--target '{Target}' must be an absolute http:// or https:// address");
        Check(Positive(Rps), "--rps must be a positive number");
        Check(Positive(Duration), "--duration must be a positive number of seconds");
        Check(Concurrency >= 1, "--concurrency must be at least 1");
        Check(double.IsFinite(Warmup) && Warmup >= 0, "--warmup must be zero or more seconds");
        Check(Positive(DeadlineMs), "--deadline-ms must be positive");
        Check(Positive(SloP99), "--slo-p99 must be positive");
        bool storm = StormRps is not null || StormSeconds is not null || StormAt is not null;
        string[] soakOnly = new (string Name, bool Given)[]
        {
            ("--soak-share", SoakShare is not null), ("--max-rps", MaxRps is not null), ("--sample-seconds", SampleSeconds is not null),
            ("--metrics-url", MetricsUrl is not null), ("--find-max-duration", FindMaxDuration is not null),
        }.Where(o => o.Given).Select(o => o.Name).ToArray();
        Check(!(FindMax && storm), "--find-max cannot be combined with --storm-*: find the maximum first, then give the storm's rates");
        Check(!(FindMax && Soak), "--find-max cannot be combined with --soak: a soak searches for the maximum itself unless --max-rps is given");
        Check(!(Soak && storm), "--soak cannot be combined with --storm-*: run them separately");
        Check(Soak || soakOnly.Length == 0, $"only with --soak: {string.Join(", ", soakOnly)}");
        Check(!(FindMax && ProbeHealth == true), "--probe-health applies to a plain, storm or soak run, not to --find-max");
        Check(HttpTarget is null || Probing, "--http-target is only used by the health probes (--probe-health)");
        Check(HttpTarget is null || IsHttpUri(HttpTarget), $"--http-target '{HttpTarget}' must be an absolute http:// or https:// address");
        if (storm)
        {
            Check(StormRps is not null && StormSeconds is not null, "a storm needs both --storm-rps and --storm-seconds");
            Check(StormRps is null || Positive(StormRps.Value), "--storm-rps must be a positive number");
            Check(StormSeconds is null || Positive(StormSeconds.Value), "--storm-seconds must be a positive number");
            Check(StormAt is null || (double.IsFinite(StormAt.Value) && StormAt > 0), "--storm-at must be after the start (a before-storm baseline is needed)");
            if (StormSeconds is { } length && Positive(length) && Positive(Duration))
            {
                double at = StormAt ?? StormSettings.DefaultAt(TimeSpan.FromSeconds(Duration), TimeSpan.FromSeconds(length)).TotalSeconds;
                Check(at > 0 && at + length < Duration, string.Create(CultureInfo.InvariantCulture,
                    $"the storm ({at:F0} s + {length:F0} s) must end before --duration {Duration:F0} s, with normal load before and after it"));
            }
        }

        if (Soak)
        {
            Check(SoakShare is null || (SoakShare > 0 && SoakShare <= 1), "--soak-share must be in (0, 1]");
            Check(MaxRps is null || Positive(MaxRps.Value), "--max-rps must be a positive number");
            Check(SampleSeconds is null || (Positive(SampleSeconds.Value) && SampleSeconds <= Duration), "--sample-seconds must be positive and at most --duration");
            Check(MetricsUrl is null || IsHttpUri(MetricsUrl), $"--metrics-url '{MetricsUrl}' must be an absolute http:// or https:// address");
            Check(FindMaxDuration is null || Positive(FindMaxDuration.Value), "--find-max-duration must be a positive number of seconds");
            Check(!(MaxRps is not null && FindMaxDuration is not null), "--find-max-duration is for the search, which --max-rps skips");
        }

        return errors;
    }

    /// <summary>Advice that does not stop the run (e.g. a client too narrow for the storm), one line each.</summary>
    public IReadOnlyList<string> Warnings()
    {
        var warnings = new List<string>();
        if (Mode == LoadTestMode.Storm && StormRps is { } r && Concurrency < r * DeadlineMs / 1000)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"--concurrency {Concurrency} is below storm rate x deadline ({r * DeadlineMs / 1000:F0}): if the service stalls, the client's slots limit the storm; e.g. --concurrency 5000"));
        }

        return warnings;
    }

    private static bool Positive(double v) => double.IsFinite(v) && v > 0;

    private static bool IsHttpUri(string text) => Uri.TryCreate(text, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttp || u.Scheme == Uri.UriSchemeHttps);
}
