using Karma.Core.Package;

namespace Karma.Bench.Tests;

/// <summary>The exact-scan benchmark on a small table: every run measures every way, rotated, and reports shares.</summary>
public sealed class ScanBenchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-scan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Small_run_measures_every_way_in_every_run_in_rotated_order()
    {
        var rng = new Random(2);
        int rows = 5000, dims = 16;
        float[] data = [.. Enumerable.Range(0, rows * dims).Select(_ => (float)rng.NextDouble())];
        string path = Path.Combine(_dir, "table.bin");
        VectorTableWriter.Write(path, data, rows, dims, VectorElementType.Float32);
        VectorTableMemory[] ways = [VectorTableMemory.Mapped, VectorTableMemory.Anonymous, VectorTableMemory.HugePages];

        var r = ScanBench.Run("small", path, ways, runs: 2, queries: 3, k: 10, bandwidthBytes: 16L << 20);

        Assert.Equal(rows * dims * 4L, r.TableBytes);
        Assert.Equal([.. ways, VectorTableMemory.Anonymous, VectorTableMemory.HugePages, VectorTableMemory.Mapped], r.Points.Select(p => p.Memory));
        Assert.All(r.Points, p => Assert.True(p.QueriesPerSecond > 0 && p.BandwidthBytesPerSecond > 0));
        Assert.All(r.Points, p => Assert.Equal(p.QueriesPerSecond * r.TableBytes, p.ScanBytesPerSecond, 6));
        string markdown = ScanBench.ToMarkdown(r);
        Assert.Contains("| HugePages |", markdown, StringComparison.Ordinal);
        Assert.Contains("of 2 |", markdown, StringComparison.Ordinal);
    }
}
