using Karma.Core.Package;
using Karma.LoadTesting;

namespace Karma.Serving.Tests;

[Collection(ServerGroup.Name)]
public sealed class LoadTestSmokeTests(ServerFixture server)
{
    [Fact]
    public async Task LoadTest_AgainstTheRealServer_SendsOnScheduleAndReports()
    {
        var catalog = ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName));
        var runner = new LoadTestRunner(catalog);
        var (result, timeline) = await runner.RunAsync(new LoadTestOptions
        {
            Target = $"http://127.0.0.1:{server.GrpcPort}",
            Rate = 40,
            Duration = TimeSpan.FromSeconds(1),
            Warmup = TimeSpan.FromMilliseconds(250),
            Mix = "search:50,recall:20,prerank:20,encode:10",
        });
        Assert.Equal(40, result.Sent);
        Assert.Empty(result.Errors);
        Assert.True(result.Corrected.P50 > 0 && result.Corrected.P50 <= result.Corrected.Max);
        // From the due time is never shorter, except that a send may leave up to 1 ms early (timer granularity).
        Assert.True(result.Corrected.P99 >= result.Uncorrected.P99 - 1.5);
        Assert.Equal(4, result.Mix.Count);
        string png = Path.Combine(Path.GetTempPath(), $"karma-loadtest-{Guid.NewGuid():N}.png");
        LoadTestReport.SavePng(result, timeline, png);
        Assert.True(new FileInfo(png).Length > 1000);
        File.Delete(png);
        Assert.Contains("corrected (from due time)", LoadTestReport.Summary(result), StringComparison.Ordinal);
    }
}
