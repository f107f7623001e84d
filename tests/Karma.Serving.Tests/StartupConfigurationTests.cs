namespace Karma.Serving.Tests;

/// <summary>
/// The real service process with settings that can never work: it must stop at once with exit code 2 and one line per
/// problem naming the setting, no stack trace (a misconfigured container then fails its start visibly).
/// </summary>
public sealed class StartupConfigurationTests
{
    private static KarmaProcess.Result Start(params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["Karma__ModelPath"] = RepositoryPaths.DefaultModel,
            ["Karma__GrpcPort"] = "0",
            ["Karma__HttpPort"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        return KarmaProcess.RunDll(KarmaProcess.ServiceDll, environment);
    }

    [Theory]
    [InlineData("Karma__ModelPath", "/nonexistent/model", "Karma:ModelPath '/nonexistent/model' is not a directory")]
    [InlineData("Karma__Index", "nope", "Index must be exact, hnsw or onnx-exact")]
    [InlineData("Karma__DriftThreshold", "2", "DriftThreshold")]
    public void ASettingThatCanNeverWork_StopsTheProcess_WithOneLineNamingIt(string key, string value, string expected)
    {
        var r = Start((key, value));
        Assert.Equal(2, r.ExitCode);
        string[] lines = r.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("karma-serving: configuration error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Error + r.Output, StringComparison.Ordinal);
    }
}
