using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Karma.Core.Package;
using Karma.Serving.Core.Indexing;

namespace Karma.Benchmarks;

/// <summary>The hot kernels of recall: inner products, exact top-k over a table, and gathering rows.</summary>
[MemoryDiagnoser]
public class KernelBenchmarks
{
    private float[] _a = [], _b = [];
    private string _path = string.Empty;
    private VectorTable _table = null!;
    private ExactIndex _exact = null!;
    private float[] _query = [];
    private int[] _rows = [];
    private float[] _gathered = [];

    /// <summary>Vector width.</summary>
    [Params(64, 256)]
    public int Dims { get; set; }

    /// <summary>Rows of the table.</summary>
    [Params(100_000)]
    public int Rows { get; set; }

    /// <summary>Random vectors and a temporary <see cref="Rows"/> × <see cref="Dims"/> table file with its exact index.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _a = Enumerable.Range(0, Dims).Select(_ => (float)rng.NextDouble()).ToArray();
        _b = Enumerable.Range(0, Dims).Select(_ => (float)rng.NextDouble()).ToArray();
        var data = new float[Rows * Dims];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        _path = Path.Combine(Path.GetTempPath(), $"karma-bench-{Guid.NewGuid():N}.bin");
        VectorTableWriter.Write(_path, data, Rows, Dims, VectorElementType.Float32);
        _table = VectorTable.Open(_path);
        _exact = new ExactIndex(_table);
        _query = _a;
        _rows = Enumerable.Range(0, 20).Select(_ => rng.Next(Rows)).ToArray();
        _gathered = new float[_rows.Length * Dims];
    }

    /// <summary>Closes the index and the table and deletes the temporary table file.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _exact.Dispose();
        _table.Dispose();
        File.Delete(_path);
    }

    /// <summary>Scalar reference dot product.</summary>
    [Benchmark(Baseline = true)]
    public float DotScalar()
    {
        float s = 0;
        for (int i = 0; i < _a.Length; i++)
        {
            s += _a[i] * _b[i];
        }

        return s;
    }

    /// <summary>SIMD dot product (TensorPrimitives).</summary>
    [Benchmark]
    public float DotSimd() => TensorPrimitives.Dot(_a, _b);

    /// <summary>Exact top-100 over the table (the reference index).</summary>
    [Benchmark]
    public int ExactTop100() => _exact.Search(_query, 100).Count;

    /// <summary>Gathering a 20-item history from the memory-mapped table.</summary>
    [Benchmark]
    public float[] Gather20()
    {
        _table.Gather(_rows, _gathered);
        return _gathered;
    }
}
