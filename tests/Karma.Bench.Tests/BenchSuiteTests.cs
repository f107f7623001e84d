using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Bench.Tests;

/// <summary>Short runs of each benchmark suite on the shipped model: they finish, measure something, and agree with themselves.</summary>
public sealed class BenchSuiteTests
{
    [Fact]
    public void EncoderBench_SmokeRun_MeasuresEachBatchAndBothBatchingModes()
    {
        using var package = ModelPackage.Load(RepositoryPaths.DefaultModel, InferenceDevice.Cpu, NullLogger.Instance);
        var r = EncoderBench.Run(package, [1, 4], maxBatch: 8, TimeSpan.FromMilliseconds(2),
            // 1 s per saturation point: 300 ms saw no completed encode at all when test projects ran side by side on 2 cores.
            TimeSpan.FromSeconds(1), concurrency: 16);
        Assert.Equal([1, 4], r.Batches.Select(b => b.Batch));
        Assert.All(r.Batches, b => Assert.True(b.PaddedSession.P50 > 0 && b.RawSession.P50 > 0 && b.Encoder.P50 > 0 && b.EncoderItemsPerSecond > 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EncoderBench.Run(package, [1], maxBatch: 8, TimeSpan.Zero, TimeSpan.Zero, concurrency: 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => EncoderBench.Run(package, [1], maxBatch: 8, TimeSpan.Zero, TimeSpan.FromSeconds(1), concurrency: 0));
        Assert.Equal([1, 8], r.Saturation.Select(s => s.MaxBatch));
        Assert.Equal(1.0, r.Saturation[0].MeanBatch); // max batch 1 never batches
        Assert.InRange(r.Saturation[1].MeanBatch, 1.5, 8.0); // 16 callers on one worker: batches do form
        Assert.All(r.Saturation, s => Assert.True(s.Encodes > 0));
        Assert.Contains("dynamic batching", EncoderBench.ToMarkdown(r), StringComparison.Ordinal);
        string png = Path.Combine(Path.GetTempPath(), $"karma-encoder-{Guid.NewGuid():N}.png");
        EncoderBench.SavePng(r, png);
        Assert.True(new FileInfo(png).Length > 1000);
        File.Delete(png);
    }

    [Fact]
    public void PreRankBench_SmokeRun_MeasuresEachCandidateCount()
    {
        using var package = ModelPackage.Load(RepositoryPaths.DefaultModel, InferenceDevice.Cpu, NullLogger.Instance);
        var r = PreRankBench.Run(package, [5, 50]);
        Assert.Equal([5, 50], r.Points.Select(p => p.Candidates));
        Assert.All(r.Points, p => Assert.True(p.Latency.P50 > 0 && p.Latency.P50 <= p.Latency.Max && p.CandidatesPerSecond > 0));
        Assert.Contains("| 50 |", PreRankBench.ToMarkdown(r), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndToEndBench_SmokeRun_BothPathsGiveTheSameAnswers()
    {
        var r = await EndToEndBench.RunAsync(RepositoryPaths.DefaultModel, "exact", requests: 12, maxBatchDelayMs: 0);
        Assert.Equal(["Encode", "Search"], r.Methods.Select(m => m.Method));
        Assert.All(r.Methods, m =>
        {
            Assert.Equal(0, m.Mismatches);
            Assert.Equal(12, m.InProcess.Samples);
            Assert.True(m.InProcess.P50 > 0 && m.Grpc.P50 > 0);
        });
        Assert.Equal("exact", r.Index);
        Assert.NotNull(r.EchoFloor);
        Assert.Equal(12, r.EchoFloor.Samples);
        Assert.True(r.SearchOverFloor > 0);
        Assert.Contains("| Search |", EndToEndBench.ToMarkdown(r), StringComparison.Ordinal);
        Assert.Contains("Echo floor", EndToEndBench.ToMarkdown(r), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndToEndBench_MissingPackage_FailsAtOnceNamingIt()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"karma-no-package-{Guid.NewGuid():N}");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => EndToEndBench.RunAsync(missing, "exact", requests: 5, maxBatchDelayMs: 0));
        Assert.Contains(Path.GetFileName(missing), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EndToEndBench_PackageTheServiceRefuses_FailsInsteadOfWaiting()
    {
        using var scratch = new TempDirectory("karma-bad-package-");
        string dir = scratch.Path;
        TestFiles.CopyFiles(RepositoryPaths.DefaultModel, dir);

        File.WriteAllBytes(Path.Combine(dir, "user_tower.onnx"), [1, 2, 3]); // the manifest's hash no longer matches
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => EndToEndBench.RunAsync(dir, "exact", requests: 5, maxBatchDelayMs: 0));
        Assert.Contains("could not load", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LatencySummary_UsesNearestRankPercentiles()
    {
        var s = LatencySummary.Of(Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToArray());
        Assert.Equal((100, 50.5, 50.0, 90.0, 99.0, 100.0), (s.Samples, s.Mean, s.P50, s.P90, s.P99, s.Max));
        Assert.True(double.IsNaN(LatencySummary.Of([]).P50));
    }

    [Fact]
    public void MemoryBandwidth_IsPositive_AndRejectsTinyBuffers()
    {
        double bytesPerSecond = MemoryBandwidth.MeasureRead(64L << 20, passes: 2);
        Assert.True(double.IsFinite(bytesPerSecond) && bytesPerSecond > 1e8, $"{bytesPerSecond} B/s");
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBandwidth.MeasureRead(1024));
    }
}
