namespace Karma.Serving.Tests;

/// <summary>
/// The Python example in examples/python, as a reader runs it: its modules generated from protos/ by Debian's protoc
/// and gRPC plugin, then the script against the real server through Debian's python3-grpcio.
/// </summary>
[Collection(ServerGroup.Name)]
public sealed class PythonClientExampleTests(ServerFixture server)
{
    private static readonly string Examples = Path.Combine(RepositoryPaths.Root, "examples", "python");
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static readonly Lazy<KarmaProcess.Result> Generated = new(() => KarmaProcess.RunProgram(Path.Combine(Examples, "generate.sh"), NoEnvironment));

    private KarmaProcess.Result RunExample(params string[] args)
    {
        Assert.True(Generated.Value.ExitCode == 0, "generate.sh failed: " + Generated.Value.Error);
        return KarmaProcess.RunProgram("/usr/bin/python3", NoEnvironment,
            [Path.Combine(Examples, "karma_search.py"), "--target", $"127.0.0.1:{server.GrpcPort}", .. args]);
    }

    [Fact]
    public void Search_FromPython_PrintsTheServedResults()
    {
        var r = RunExample("--query", "skillet", "--top-n", "3");
        Assert.True(r.ExitCode == 0, r.Error);
        string[] lines = r.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("catalog: ", lines[0], StringComparison.Ordinal);
        Assert.Contains("model karma-", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("top 3", lines[1], StringComparison.Ordinal);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith(" 1  ", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void ABadRequest_FromPython_GetsTheStatusNamingTheField()
    {
        var r = RunExample("--query", "skillet", "--history", "i0001", "--top-n", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error: INVALID_ARGUMENT: top_n", r.Error, StringComparison.Ordinal);
    }
}
