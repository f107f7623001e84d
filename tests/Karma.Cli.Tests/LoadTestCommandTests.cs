namespace Karma.Cli.Tests;

/// <summary>The real <c>karma loadtest</c> process: where it takes its catalog from.</summary>
public sealed class LoadTestCommandTests
{
    [Fact]
    public void AMissingCatalog_IsNamed_WithExit2()
    {
        string missing = Path.Combine(Path.GetTempPath(), "karma-no-such-catalog", "item_catalog.jsonl");
        var r = KarmaProcess.Run("loadtest", "--rps", "5", "--duration", "1", "--catalog", missing, "--target", "http://127.0.0.1:9");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"--catalog {missing} does not exist", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal);
    }
}
