using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.ExceptionServices;
using Karma.Core.Package;

namespace Karma.Serving.Core.Indexing;

/// <summary>
/// Exact nearest-neighbour search by inner product: every accepted row is scored (SIMD dot products through
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>) and the best k are kept in a bounded
/// heap. The reference the approximate indexes are measured against. Large tables are scanned in parallel row
/// ranges. Reads the table in place (float32) or converts accepted rows block by block into a pooled buffer
/// (float16). Does not own the table: the table must outlive the index's searches.
/// </summary>
public sealed class ExactIndex : IVectorIndex
{
    /// <summary>
    /// Tables with more numbers than this (rows x width) are scanned in parallel; smaller ones on the calling thread,
    /// where a scan takes well under a millisecond and fan-out would cost more than it saves.
    /// </summary>
    public const long DefaultParallelThreshold = 2_000_000;

    private const int ChunksPerCore = 4;
    private const int BlockRows = 256;

    private readonly VectorTable _table;
    private readonly long _parallelThreshold;
    private readonly int _parallelism;
    private int _disposed;

    /// <summary>Creates an exact index over <paramref name="embeddings"/>.</summary>
    /// <param name="embeddings">The table; read in place, not copied and not disposed by this index.</param>
    /// <param name="parallelThreshold">
    /// Scan in parallel when rows x width exceeds this; 0 always scans in parallel (tests), <see cref="long.MaxValue"/> never.
    /// </param>
    /// <param name="maxDegreeOfParallelism">Threads of a parallel scan; 0 means <see cref="Environment.ProcessorCount"/>.</param>
    public ExactIndex(VectorTable embeddings, long parallelThreshold = DefaultParallelThreshold, int maxDegreeOfParallelism = 0)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentOutOfRangeException.ThrowIfNegative(parallelThreshold);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDegreeOfParallelism);
        _table = embeddings;
        _parallelThreshold = parallelThreshold;
        _parallelism = maxDegreeOfParallelism == 0 ? Environment.ProcessorCount : maxDegreeOfParallelism;
    }

    /// <inheritdoc />
    public string Kind => IndexKinds.Name(IndexKind.Exact);

    /// <inheritdoc />
    public int Count => _table.Rows;

    /// <inheritdoc />
    public int Dimensions => _table.Cols;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The query's length is not <see cref="Dimensions"/>, or it holds a non-finite value.</exception>
    public IReadOnlyList<Hit> Search(ReadOnlySpan<float> query, int k, IRowFilter? filter = null)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ValidateQuery(query, Dimensions);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        int rows = Count;
        int wanted = Math.Min(k, rows);
        if (wanted == 0)
        {
            return [];
        }

        if ((long)rows * Dimensions <= _parallelThreshold || _parallelism == 1 || rows == 1)
        {
            var heap = new TopK(wanted);
            Scan(0, rows, query, filter, heap);
            return heap.ToSortedArray();
        }

        return SearchParallel(query, wanted, filter);
    }

    private Hit[] SearchParallel(ReadOnlySpan<float> query, int wanted, IRowFilter? filter)
    {
        int rows = Count;
        int chunks = (int)Math.Min(rows, (long)_parallelism * ChunksPerCore);
        var heaps = new TopK[chunks];
        float[] q = ArrayPool<float>.Shared.Rent(query.Length);
        query.CopyTo(q);
        try
        {
            Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = _parallelism }, c =>
            {
                int start = (int)((long)rows * c / chunks);
                int end = (int)((long)rows * (c + 1) / chunks);
                var heap = new TopK(wanted);
                Scan(start, end, q.AsSpan(0, Dimensions), filter, heap);
                heaps[c] = heap;
            });
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(q);
        }

        var merged = new TopK(wanted);
        foreach (var heap in heaps)
        {
            heap.MergeInto(merged);
        }

        return merged.ToSortedArray();
    }

    /// <summary>Scores rows [start, end) into <paramref name="heap"/>.</summary>
    private void Scan(int start, int end, ReadOnlySpan<float> query, IRowFilter? filter, TopK heap)
    {
        int dims = Dimensions;
        if (_table.ElementType == VectorElementType.Float32)
        {
            for (int blockStart = start; blockStart < end; blockStart += BlockRows)
            {
                int n = Math.Min(BlockRows, end - blockStart);
                ReadOnlySpan<float> block = _table.RowRange(blockStart, n);
                for (int i = 0; i < n; i++)
                {
                    int row = blockStart + i;
                    if (filter is null || filter.Accepts(row))
                    {
                        heap.Offer(TensorPrimitives.Dot(block.Slice(i * dims, dims), query), row);
                    }
                }
            }

            return;
        }

        // Float16: gather the block's accepted rows as float32 into a pooled buffer, then score them.
        int[] accepted = ArrayPool<int>.Shared.Rent(BlockRows);
        float[] buffer = ArrayPool<float>.Shared.Rent(BlockRows * dims);
        try
        {
            for (int blockStart = start; blockStart < end; blockStart += BlockRows)
            {
                int blockEnd = Math.Min(end, blockStart + BlockRows);
                int n = 0;
                for (int row = blockStart; row < blockEnd; row++)
                {
                    if (filter is null || filter.Accepts(row))
                    {
                        accepted[n++] = row;
                    }
                }

                if (n == 0)
                {
                    continue;
                }

                Span<float> vectors = buffer.AsSpan(0, n * dims);
                _table.Gather(accepted.AsSpan(0, n), vectors);
                for (int i = 0; i < n; i++)
                {
                    heap.Offer(TensorPrimitives.Dot(vectors.Slice(i * dims, dims), query), accepted[i]);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(accepted);
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Scalar reference for tests: scores every accepted row of a row-major <paramref name="table"/> with a plain loop
    /// (accumulated in double), sorts by score descending then row ascending, and keeps the first <paramref name="k"/>.
    /// </summary>
    public static IReadOnlyList<Hit> BruteForce(ReadOnlySpan<float> table, int dims, ReadOnlySpan<float> query, int k,
        IRowFilter? filter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dims, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (table.Length % dims != 0)
        {
            throw new ArgumentException($"table has {table.Length} numbers, not a multiple of {dims} columns", nameof(table));
        }

        if (query.Length != dims)
        {
            throw new ArgumentException($"query has {query.Length} numbers, rows have {dims}", nameof(query));
        }

        int rows = table.Length / dims;
        var all = new List<Hit>(rows);
        for (int row = 0; row < rows; row++)
        {
            if (filter is not null && !filter.Accepts(row))
            {
                continue;
            }

            double sum = 0;
            for (int j = 0; j < dims; j++)
            {
                sum += (double)table[(row * dims) + j] * query[j];
            }

            all.Add(new Hit(row, (float)sum));
        }

        all.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
        return all.GetRange(0, Math.Min(k, all.Count)).ToArray();
    }

    /// <summary>Throws unless <paramref name="query"/> has <paramref name="dims"/> finite numbers.</summary>
    internal static void ValidateQuery(ReadOnlySpan<float> query, int dims)
    {
        if (query.Length != dims)
        {
            throw new ArgumentException($"query has {query.Length} numbers, the index holds {dims}-dimensional vectors",
                nameof(query));
        }

        if (!float.IsFinite(TensorPrimitives.Sum(query)) && !AllFinite(query))
        {
            throw new ArgumentException("query holds a NaN or infinite value", nameof(query));
        }

        static bool AllFinite(ReadOnlySpan<float> values)
        {
            foreach (float v in values)
            {
                if (!float.IsFinite(v))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Marks the index unusable; the table is not disposed (the index does not own it).</summary>
    public void Dispose() => Volatile.Write(ref _disposed, 1);

    /// <summary>
    /// The best k (score, row) pairs seen so far: a binary min-heap whose root is the worst kept pair, so a new pair
    /// is admitted by one comparison with the root. "Better" is the higher score, then the lower row.
    /// </summary>
    private sealed class TopK(int capacity)
    {
        private readonly float[] _scores = new float[capacity];
        private readonly int[] _rows = new int[capacity];
        private int _count;

        public void Offer(float score, int row)
        {
            if (_count < _scores.Length)
            {
                int i = _count++;
                while (i > 0)
                {
                    int parent = (i - 1) >> 1;
                    if (!Better(_scores[parent], _rows[parent], score, row))
                    {
                        break;
                    }

                    // The parent beats the newcomer, so it moves down (the root holds the worst).
                    _scores[i] = _scores[parent];
                    _rows[i] = _rows[parent];
                    i = parent;
                }

                _scores[i] = score;
                _rows[i] = row;
                return;
            }

            if (!Better(score, row, _scores[0], _rows[0]))
            {
                return;
            }

            int at = 0;
            while (true)
            {
                int child = (2 * at) + 1;
                if (child >= _count)
                {
                    break;
                }

                if (child + 1 < _count && Better(_scores[child], _rows[child], _scores[child + 1], _rows[child + 1]))
                {
                    child++; // the worse of the two children
                }

                if (!Better(score, row, _scores[child], _rows[child]))
                {
                    break;
                }

                _scores[at] = _scores[child];
                _rows[at] = _rows[child];
                at = child;
            }

            _scores[at] = score;
            _rows[at] = row;
        }

        public void MergeInto(TopK other)
        {
            for (int i = 0; i < _count; i++)
            {
                other.Offer(_scores[i], _rows[i]);
            }
        }

        public Hit[] ToSortedArray()
        {
            var hits = new Hit[_count];
            for (int i = 0; i < _count; i++)
            {
                hits[i] = new Hit(_rows[i], _scores[i]);
            }

            Array.Sort(hits, static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
            return hits;
        }

        private static bool Better(float scoreA, int rowA, float scoreB, int rowB) =>
            scoreA > scoreB || (scoreA == scoreB && rowA < rowB);
    }
}
