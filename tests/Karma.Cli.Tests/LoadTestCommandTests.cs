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

    [Fact]
    public void WithoutACatalog_AnUnreachableService_IsNamed_WithTheNextStep()
    {
        var r = KarmaProcess.Run("loadtest", "--rps", "5", "--duration", "1", "--target", "http://127.0.0.1:9");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("could not read the catalog from http://127.0.0.1:9", r.Error, StringComparison.Ordinal);
        Assert.Contains("is the service running there?", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void APackageWithoutACatalog_IsNamed_WithExit2()
    {
        using var scratch = new TempDirectory("karma-not-a-package-");
        string dir = scratch.Path;
        var r = KarmaProcess.Run("loadtest", "--rps", "5", "--duration", "1", "--package", dir, "--target", "http://127.0.0.1:9");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains($"--package {dir} has no item_catalog.jsonl", r.Error, StringComparison.Ordinal);
    }
}
