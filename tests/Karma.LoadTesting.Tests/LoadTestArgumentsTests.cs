namespace Karma.LoadTesting.Tests;

public sealed class LoadTestArgumentsTests
{
    [Fact]
    public void Defaults_AreAValidPlainRun_WithoutProbes()
    {
        var a = new LoadTestArguments();
        Assert.Empty(a.Validate());
        Assert.Equal(LoadTestMode.Plain, a.Mode);
        Assert.Null(a.Health);
        Assert.Null(a.Storm);
    }

    [Fact]
    public void Storm_ProbesByDefault_WithTheDefaultStartAndHttpPort()
    {
        var a = new LoadTestArguments { Target = "http://svc:50051", Duration = 60, StormRps = 800, StormSeconds = 15, Concurrency = 5000 };
        Assert.Empty(a.Validate());
        Assert.Equal(LoadTestMode.Storm, a.Mode);
        Assert.Equal(TimeSpan.FromSeconds(15), a.Storm!.At);   // a third of the 45 s outside the storm
        Assert.Equal(new Uri("http://svc:8080/healthz"), a.Health!.HttpUrl);
        Assert.Equal(new Uri("http://svc:50051"), a.Health.GrpcTarget);
        Assert.Empty(a.Warnings());
        Assert.Single((a with { Concurrency = 64 }).Warnings()); // 800 req/s x 5 s deadline: up to 4000 in flight if the service stalls
        Assert.Null((a with { ProbeHealth = false }).Health);
        Assert.Equal(new Uri("http://other:9000/healthz"), (a with { HttpTarget = "http://other:9000" }).Health!.HttpUrl);
    }

    [Fact]
    public void Soak_DefaultsItsMetricsUrlToTheTargetsHost()
    {
        var a = new LoadTestArguments { Target = "http://svc:50051", Soak = true, Duration = 600 };
        Assert.Empty(a.Validate());
        Assert.Equal(LoadTestMode.Soak, a.Mode);
        Assert.Equal(new Uri("http://svc:8080/metrics"), a.MetricsUri);
        Assert.True(a.Probing);
    }

    [Theory]
    [InlineData("find-max+storm", "--find-max cannot be combined with --storm-*")]
    [InlineData("find-max+soak", "--find-max cannot be combined with --soak")]
    [InlineData("soak+storm", "--soak cannot be combined with --storm-*")]
    [InlineData("storm-rps only", "a storm needs both --storm-rps and --storm-seconds")]
    [InlineData("storm too long", "must end before --duration")]
    [InlineData("storm at 0", "--storm-at must be after the start")]
    [InlineData("soak option alone", "only with --soak: --soak-share, --max-rps")]
    [InlineData("share > 1", "--soak-share must be in (0, 1]")]
    [InlineData("max and search length", "--find-max-duration is for the search")]
    [InlineData("bad target", "--target 'localhost:50051' must be an absolute")]
    [InlineData("zero rps", "--rps must be a positive number")]
    [InlineData("http target without probes", "--http-target is only used by the health probes")]
    [InlineData("probes with find-max", "--probe-health applies to a plain, storm or soak run")]
    public void BadCombinations_AreNamed(string which, string expected)
    {
        var a = which switch
        {
            "find-max+storm" => new LoadTestArguments { FindMax = true, StormRps = 1000, StormSeconds = 2 },
            "find-max+soak" => new LoadTestArguments { FindMax = true, Soak = true },
            "soak+storm" => new LoadTestArguments { Soak = true, StormRps = 1000, StormSeconds = 2 },
            "storm-rps only" => new LoadTestArguments { StormRps = 1000 },
            "storm too long" => new LoadTestArguments { Duration = 10, StormRps = 1000, StormSeconds = 5, StormAt = 5 },
            "storm at 0" => new LoadTestArguments { Duration = 10, StormRps = 1000, StormSeconds = 5, StormAt = 0 },
            "soak option alone" => new LoadTestArguments { SoakShare = 0.5, MaxRps = 100 },
            "share > 1" => new LoadTestArguments { Soak = true, SoakShare = 1.5 },
            "max and search length" => new LoadTestArguments { Soak = true, MaxRps = 100, FindMaxDuration = 3 },
            "bad target" => new LoadTestArguments { Target = "localhost:50051" },
            "zero rps" => new LoadTestArguments { Rps = 0 },
            "http target without probes" => new LoadTestArguments { HttpTarget = "http://x:8080" },
            "probes with find-max" => new LoadTestArguments { FindMax = true, ProbeHealth = true },
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };
        var errors = a.Validate();
        Assert.Contains(errors, e => e.Contains(expected, StringComparison.Ordinal));
    }
}
