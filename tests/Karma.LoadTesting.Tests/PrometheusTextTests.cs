namespace Karma.LoadTesting.Tests;

public sealed class PrometheusTextTests
{
    /// <summary>A scrape of the real service's /metrics (models/default, after a short soak), committed as captured.</summary>
    private static string Captured => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "tests", "Karma.LoadTesting.Tests", "Data", "metrics-scrape.txt"));

    [Fact]
    public void RealScrape_ParsesEverySampleLine()
    {
        string text = Captured;
        var samples = PrometheusText.Parse(text);
        int sampleLines = text.Split('\n').Count(l => l.Trim().Length > 0 && !l.StartsWith('#'));
        Assert.Equal(sampleLines, samples.Count);
        var bucket = samples.First(s => s.Name == "http_server_request_duration_seconds_bucket" && s.Labels.GetValueOrDefault("le") == "+Inf");
        Assert.Equal("Microsoft.AspNetCore.Hosting", bucket.Labels["otel_scope_name"]);
    }

    [Fact]
    public void RealScrape_GivesTheProcessFigures()
    {
        var sample = ProcessMetrics.FromScrape(Captured, 12.5);
        Assert.Equal(12.5, sample.Seconds);
        Assert.Equal(212168704, sample.RssBytes);
        Assert.Equal(0 + 194520 + 9023536 + 12103608 + 527920, sample.GcHeapBytes); // gen0, gen1, gen2, loh, poh
        Assert.Equal(new Dictionary<string, double> { ["gen0"] = 6, ["gen1"] = 3, ["gen2"] = 5 }, sample.GcCollections);
        Assert.Equal(0, sample.ThreadPoolQueueLength);
        Assert.Equal(5, sample.ThreadPoolThreads);
        Assert.True(sample.GcCommittedBytes > 0 && sample.GcAllocatedBytes > 0 && sample.GcPauseSeconds > 0 && sample.CpuSeconds > 0);
        Assert.Null(sample.Error);
    }

    [Fact]
    public void MissingMetrics_AreNull_NotACrash()
    {
        var sample = ProcessMetrics.FromScrape("# nothing here\nkarma_model_loaded{model_version=\"x\"} 1\n", 1);
        Assert.Null(sample.RssBytes);
        Assert.Null(sample.GcHeapBytes);
        Assert.Null(sample.GcCollections);
        Assert.Null(sample.ThreadPoolQueueLength);
        Assert.Null(ProcessMetrics.FromScrape("", 0).CpuSeconds);
    }

    [Fact]
    public void UpDownCountersWrittenAsGauges_AreReadToo()
    {
        var sample = ProcessMetrics.FromScrape("dotnet_thread_pool_queue_length 7\ndotnet_thread_pool_thread_count 3\n", 0);
        Assert.Equal(7, sample.ThreadPoolQueueLength);
        Assert.Equal(3, sample.ThreadPoolThreads);
    }

    [Theory]
    [InlineData("up 1", "up", 1.0)]
    [InlineData("up 1 1712345678000", "up", 1.0)]                  // with a timestamp
    [InlineData("x_total{a=\"1\"} 2.5e3", "x_total", 2500.0)]
    [InlineData("x{} +Inf", "x", double.PositiveInfinity)]
    [InlineData("x{a=\"b\",} NaN", "x", double.NaN)]                // trailing comma
    [InlineData("  spaced{a=\"1\", b=\"2\"}   -3  ", "spaced", -3.0)]
    public void Lines_Parse(string line, string name, double value)
    {
        var samples = PrometheusText.Parse(line);
        var s = Assert.Single(samples);
        Assert.Equal(name, s.Name);
        Assert.Equal(value, s.Value);
    }

    [Fact]
    public void LabelValues_AreUnescaped()
    {
        Assert.True(PrometheusText.TryParseLine("m{path=\"C:\\\\x\",q=\"say \\\"hi\\\"\",n=\"a\\nb\",c=\"x,y}\"} 1", out var s));
        Assert.Equal("C:\\x", s.Labels["path"]);
        Assert.Equal("say \"hi\"", s.Labels["q"]);
        Assert.Equal("a\nb", s.Labels["n"]);
        Assert.Equal("x,y}", s.Labels["c"]);
    }

    [Theory]
    [InlineData("{a=\"1\"} 2")]          // no name
    [InlineData("m{a=\"1\" 2")]          // unclosed labels
    [InlineData("m{a=1} 2")]             // unquoted value
    [InlineData("m abc")]                // not a number
    [InlineData("m")]                    // no value
    [InlineData("m 1 2 3")]              // too many fields
    public void BadLines_AreSkipped(string line)
    {
        Assert.Equal(["ok"], PrometheusText.Parse(line + "\nok 1\n").Select(s => s.Name));
        Assert.False(PrometheusText.TryParseLine(line, out _));
    }
}
