namespace Karma.Cli.Tests;

public sealed class DataCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Generate_ThenValidate_Succeeds()
    {
        string data = Path.Combine(_dir, "data");
        var gen = KarmaProcess.Run("data", "generate", "--preset", "tiny", "--seed", "3", "--out", data);
        Assert.True(gen.ExitCode == 0, gen.Error);
        var val = KarmaProcess.Run("data", "validate", data);
        Assert.True(val.ExitCode == 0, val.Error);
        Assert.Contains("400", val.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_RealisticTiny_ShowsWhatTheMechanismsProduced_ThenValidates()
    {
        string data = Path.Combine(_dir, "realistic");
        var gen = KarmaProcess.Run("data", "generate", "--preset", "realistic-tiny", "--seed", "3", "--out", data);
        Assert.True(gen.ExitCode == 0, gen.Error);
        foreach (string row in new[] { "out-of-interest requests", "reformulated requests", "items arriving late", "CTR @1 / @5 / @10" })
        {
            Assert.Contains(row, gen.Output, StringComparison.Ordinal);
        }

        var val = KarmaProcess.Run("data", "validate", data);
        Assert.True(val.ExitCode == 0, val.Error);
    }

    [Fact]
    public void Validate_BadRow_ExitsOneNamingFileLineAndReason()
    {
        File.WriteAllText(Path.Combine(_dir, "items.jsonl"), """{"item_id":"a","title":"red shoe","category":"x/y"}""" + "\n");
        File.WriteAllText(Path.Combine(_dir, "events.csv"), "user_id,item_id,timestamp,action,query,request_id\nu,a,1,impression,,\nu,a,2,like,,\n");
        var r = KarmaProcess.Run("data", "validate", _dir);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("events.csv:3: unknown action 'like'", r.Error, StringComparison.Ordinal);

        var skipped = KarmaProcess.Run("data", "validate", _dir, "--skip-bad");
        Assert.True(skipped.ExitCode == 0, skipped.Error);
        Assert.Contains("unknown action 'like'", skipped.Output + skipped.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingDirectory_ExitsOne()
    {
        var r = KarmaProcess.Run("data", "validate", Path.Combine(_dir, "nope"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not found", r.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_UnknownPreset_ExitsTwo()
    {
        var r = KarmaProcess.Run("data", "generate", "--preset", "huge", "--out", _dir);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown preset 'huge'", r.Error, StringComparison.Ordinal);
    }
}
