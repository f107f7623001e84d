using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Karma.Core.Package;
using Karma.Serving.Core.Indexing.USearch;

namespace Karma.Serving.Core.Indexing;

/// <summary>
/// Approximate nearest-neighbour search by inner product over an HNSW graph held by USearch (native, through
/// <see cref="UsearchNative"/>). Keys are row numbers of the embedding table the index was built from; scores are
/// inner products (USearch's ip distance is <c>1 - dot</c>, converted back). The index holds its own copy of the
/// vectors, so the table may be disposed after <see cref="Build"/> or <see cref="Load"/>.
/// <para>
/// Searches are thread-safe. USearch keeps a fixed pool of search contexts (<see cref="HnswOptions.SearchThreads"/>)
/// and fails, rather than waits, when a search finds the pool empty; a semaphore with exactly that many slots
/// makes surplus callers wait instead.
/// </para>
/// <para>
/// Filters run inside the graph walk (rejected rows are still traversed, never returned), so a search finds k
/// accepted rows whenever they exist. The walk can only stop once max(k, ef) accepted rows are in hand: a filter that
/// accepts very few rows (or none) walks most of the graph, and an exact scan is then the cheaper choice.
/// </para>
/// </summary>
public sealed unsafe class HnswIndex : IVectorIndex
{
    private const int BuildChunkRows = 256;

    private readonly UsearchHandle _handle;

    // Not disposed: a search still in flight when Dispose runs must be able to Release its slot. It holds no
    // kernel handle unless AvailableWaitHandle is read, which this class never does.
    private readonly SemaphoreSlim _slots;
    private readonly int _slotCount;
    private readonly Lock _expansionLock = new();
    private int _expansionSearch;
    private int _disposed;

    // The rows the index was built from: int8 storage gives distances in its own integer units, so its hits are
    // rescored from here (the same scale as every other index).
    private readonly VectorTable _embeddings;

    private HnswIndex(UsearchHandle handle, VectorTable embeddings, int count, int dimensions, int connectivity, HnswQuantization quantization,
        int expansionSearch, int searchThreads, int refine)
    {
        Refine = refine;
        _handle = handle;
        _embeddings = embeddings;
        Count = count;
        Dimensions = dimensions;
        Connectivity = connectivity;
        Quantization = quantization;
        _expansionSearch = expansionSearch;
        _slotCount = searchThreads;
        _slots = new SemaphoreSlim(searchThreads, searchThreads);
    }

    /// <summary>Candidates per result re-scored exactly (<see cref="HnswOptions.Refine"/>; 1 = off).</summary>
    public int Refine { get; }

    /// <inheritdoc />
    public string Kind => IndexKinds.Name(IndexKind.Hnsw);

    /// <inheritdoc />
    public int Count { get; }

    /// <inheritdoc />
    public int Dimensions { get; }

    /// <summary>Graph edges per node and layer the index was built with.</summary>
    public int Connectivity { get; }

    /// <summary>How the index stores its vectors.</summary>
    public HnswQuantization Quantization { get; }

    /// <summary>Current search expansion (<c>ef</c>); a search for k results uses at least k.</summary>
    public int ExpansionSearch => Volatile.Read(ref _expansionSearch);

    /// <summary>Searches that may run at once; further callers wait.</summary>
    public int SearchThreads => _slotCount;

    /// <summary>Bytes of memory the native index uses (graph, vectors, contexts).</summary>
    public long MemoryUsage
    {
        get
        {
            nint error = 0;
            nuint bytes = UsearchNative.usearch_memory_usage(Handle, &error);
            UsearchNative.Check(error, "memory_usage");
            return (long)bytes;
        }
    }

    /// <summary>
    /// The SIMD kernels USearch chose for this index's metric and storage, e.g. <c>haswell</c> (AVX2), <c>skylake</c>
    /// (AVX-512) or <c>serial</c> (none): what a speed comparison needs to know first.
    /// </summary>
    public string HardwareAcceleration
    {
        get
        {
            nint error = 0;
            byte* text = UsearchNative.usearch_hardware_acceleration(Handle, &error);
            UsearchNative.Check(error, "hardware_acceleration");
            return text is null ? "unknown" : System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)text) ?? "unknown";
        }
    }

    /// <summary>Version of the native USearch library, e.g. <c>2.26.6</c>.</summary>
    public static string NativeVersion => UsearchNative.Version();

    private UsearchHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _handle;
        }
    }

    /// <summary>
    /// Builds an index over every row of <paramref name="embeddings"/> (key = row number): reserves capacity, then
    /// adds rows from <see cref="HnswOptions.BuildThreads"/> threads (USearch's add is thread-safe after reserve).
    /// </summary>
    /// <exception cref="InvalidOperationException">USearch reported an error; the message carries it.</exception>
    public static HnswIndex Build(VectorTable embeddings, HnswOptions options)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(options);
        int rows = embeddings.Rows;
        int dims = embeddings.Cols;
        int searchThreads = options.EffectiveSearchThreads;
        int buildThreads = Math.Min(options.EffectiveBuildThreads, Math.Max(1, (rows + BuildChunkRows - 1) / BuildChunkRows));

        var handle = Create(dims, options, ToNative(options.Quantization));
        try
        {
            nint error = 0;
            // Thread counts are set once capacity is reserved, so they have the last word on the context pool.
            UsearchNative.usearch_reserve(handle, (nuint)Math.Max(rows, 1), &error);
            UsearchNative.Check(error, $"reserve({rows})");
            SetThreads(handle, add: buildThreads, search: searchThreads);

            AddRows(handle, embeddings, buildThreads);

            nuint size = UsearchNative.usearch_size(handle, &error);
            UsearchNative.Check(error, "size");
            if (size != (nuint)rows)
            {
                throw new InvalidOperationException($"USearch index holds {size} vectors after adding {rows} rows");
            }

            return new HnswIndex(handle, embeddings, rows, dims, options.Connectivity, options.Quantization, options.ExpansionSearch,
                searchThreads, options.Refine);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an index saved with <see cref="Save"/> and checks it belongs to <paramref name="embeddings"/>: inner-product
    /// metric, the table's width, one vector per row, keys that are row numbers. Connectivity and quantization come
    /// from the file; <see cref="HnswOptions.ExpansionSearch"/> and <see cref="HnswOptions.SearchThreads"/> from
    /// <paramref name="options"/>.
    /// </summary>
    /// <param name="path">The index file.</param>
    /// <param name="embeddings">The table the index was built from; it is only read for its shape.</param>
    /// <param name="options">Search settings.</param>
    /// <param name="memoryMap">
    /// True to serve the index from a read-only mapping of the file (<c>usearch_view</c>: near-instant, shares the
    /// page cache); false to copy it into memory (<c>usearch_load</c>).
    /// </param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a USearch index, or it does not match the table; the message names the file and the problem.
    /// </exception>
    public static HnswIndex Load(string path, VectorTable embeddings, HnswOptions options, bool memoryMap = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"HNSW index file not found: {path}", path);
        }

        nint error = 0;
        UsearchInitOptions meta = default;
        UsearchNative.usearch_metadata(path, &meta, &error);
        if (error != 0)
        {
            throw Bad(path, $"not a readable USearch index ({Message(error)})");
        }

        if (meta.MetricKind != UsearchMetricKind.InnerProduct)
        {
            throw Bad(path, $"index metric is {meta.MetricKind}, expected InnerProduct");
        }

        if (meta.Dimensions != (nuint)embeddings.Cols)
        {
            throw Bad(path, $"index vectors have {meta.Dimensions} dimensions, the table {embeddings.Path} has {embeddings.Cols}");
        }

        HnswQuantization quantization = meta.Quantization switch
        {
            UsearchScalarKind.F32 => HnswQuantization.Float32,
            UsearchScalarKind.F16 => HnswQuantization.Float16,
            UsearchScalarKind.I8 => HnswQuantization.Int8,
            UsearchScalarKind.BF16 => HnswQuantization.BFloat16,
            _ => throw Bad(path, $"index stores {meta.Quantization} vectors; only F32, F16, BF16 and I8 are supported"),
        };

        int dims = embeddings.Cols;
        int rows = embeddings.Rows;
        int searchThreads = options.EffectiveSearchThreads;
        var handle = Create(dims, options, meta.Quantization);
        try
        {
            if (memoryMap)
            {
                UsearchNative.usearch_view(handle, path, &error);
            }
            else
            {
                UsearchNative.usearch_load(handle, path, &error);
            }

            if (error != 0)
            {
                throw Bad(path, $"USearch could not {(memoryMap ? "map" : "load")} it: {Message(error)}");
            }

            nuint size = UsearchNative.usearch_size(handle, &error);
            UsearchNative.Check(error, "size");
            if (size != (nuint)rows)
            {
                throw Bad(path, $"index holds {size} vectors, the table {embeddings.Path} has {rows} rows");
            }

            nuint indexDims = UsearchNative.usearch_dimensions(handle, &error);
            UsearchNative.Check(error, "dimensions");
            if (indexDims != (nuint)dims)
            {
                throw Bad(path, $"index vectors have {indexDims} dimensions, the table {embeddings.Path} has {dims}");
            }

            if (rows > 0 && (!Contains(handle, 0) || !Contains(handle, (ulong)(rows - 1))))
            {
                throw Bad(path, $"index keys are not the row numbers 0..{rows - 1} of the table {embeddings.Path}");
            }

            UsearchNative.usearch_change_expansion_search(handle, (nuint)options.ExpansionSearch, &error);
            UsearchNative.Check(error, "change_expansion_search");
            // Adds are never made to a loaded index, so it needs no more than one add context.
            SetThreads(handle, add: 1, search: searchThreads);

            nuint connectivity = UsearchNative.usearch_connectivity(handle, &error);
            UsearchNative.Check(error, "connectivity");
            return new HnswIndex(handle, embeddings, rows, dims, (int)connectivity, quantization, options.ExpansionSearch, searchThreads,
                options.Refine);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the index to <paramref name="path"/> (USearch's own format, which carries metric, width and
    /// quantization). The file is written beside the target under a temporary name and renamed over it.
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"cannot save the HNSW index to {full}: directory {directory} does not exist");
        }

        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            nint error = 0;
            UsearchNative.usearch_save(Handle, temp, &error);
            UsearchNative.Check(error, $"save to {full}");
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Sets the search expansion (<c>ef</c>), 1..<see cref="HnswOptions.MaxExpansion"/>. Waits for searches in flight
    /// to finish so that no search sees the value change under it.
    /// </summary>
    public void ChangeExpansionSearch(int expansion)
    {
        HnswOptions.Check(expansion, 1, HnswOptions.MaxExpansion, nameof(expansion));
        var handle = Handle;
        lock (_expansionLock)
        {
            int taken = 0;
            try
            {
                for (; taken < _slotCount; taken++)
                {
                    _slots.Wait();
                }

                nint error = 0;
                UsearchNative.usearch_change_expansion_search(handle, (nuint)expansion, &error);
                UsearchNative.Check(error, "change_expansion_search");
                Volatile.Write(ref _expansionSearch, expansion);
            }
            finally
            {
                if (taken > 0)
                {
                    _slots.Release(taken);
                }
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The query's length is not <see cref="Dimensions"/>, or it holds a non-finite value.</exception>
    public IReadOnlyList<Hit> Search(ReadOnlySpan<float> query, int k, IRowFilter? filter = null)
    {
        var handle = Handle;
        ExactIndex.ValidateQuery(query, Dimensions);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        int wanted = Math.Min(k, Count);
        if (wanted == 0)
        {
            return [];
        }

        // With a refine step the graph returns more candidates than wanted; the exact scores decide which k stay.
        int fetch = Math.Min(Count, wanted * Refine);
        bool rescore = Refine > 1 || Quantization == HnswQuantization.Int8;
        ulong[] keys = ArrayPool<ulong>.Shared.Rent(fetch);
        float[] distances = ArrayPool<float>.Shared.Rent(fetch);
        try
        {
            int found = Query(handle, query, fetch, filter, keys, distances);
            var hits = new Hit[found];
            for (int i = 0; i < found; i++)
            {
                ulong key = keys[i];
                if (key >= (ulong)Count)
                {
                    throw new InvalidOperationException($"USearch returned key {key}, outside the {Count} indexed rows");
                }

                hits[i] = new Hit((int)key, 1f - distances[i]);
            }

            if (rescore)
            {
                Rescore(hits, query);
            }

            // USearch orders by distance; settle equal scores by lower row, as the interface promises.
            Array.Sort(hits, static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Row.CompareTo(b.Row));
            return hits.Length > wanted ? hits[..wanted] : hits;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
            ArrayPool<float>.Shared.Return(distances);
        }
    }

    /// <summary>Exact inner products of the hits with the query, from the table (k rows of D: microseconds).</summary>
    private void Rescore(Hit[] hits, ReadOnlySpan<float> query)
    {
        float[] row = ArrayPool<float>.Shared.Rent(Dimensions);
        try
        {
            for (int i = 0; i < hits.Length; i++)
            {
                _embeddings.CopyRow(hits[i].Row, row.AsSpan(0, Dimensions));
                hits[i] = new Hit(hits[i].Row, System.Numerics.Tensors.TensorPrimitives.Dot(query, row.AsSpan(0, Dimensions)));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(row);
        }
    }

    private int Query(UsearchHandle handle, ReadOnlySpan<float> query, int wanted, IRowFilter? filter, ulong[] keys,
        float[] distances)
    {
        _slots.Wait();
        try
        {
            nint error = 0;
            nuint found;
            fixed (float* q = query)
            fixed (ulong* k = keys)
            fixed (float* d = distances)
            {
                if (filter is null)
                {
                    found = UsearchNative.usearch_search(handle, q, UsearchScalarKind.F32, (nuint)wanted, k, d, &error);
                }
                else
                {
                    var state = new FilterState(filter);
                    var gc = GCHandle.Alloc(state);
                    try
                    {
                        found = UsearchNative.usearch_filtered_search(handle, q, UsearchScalarKind.F32, (nuint)wanted,
                            &AcceptKey, (void*)GCHandle.ToIntPtr(gc), k, d, &error);
                    }
                    finally
                    {
                        gc.Free();
                    }

                    if (state.Error is not null)
                    {
                        ExceptionDispatchInfo.Throw(state.Error);
                    }
                }
            }

            UsearchNative.Check(error, "search");
            return (int)Math.Min(found, (nuint)wanted);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// The native filter callback: 1 when the row may be returned. Runs on the searching thread; exceptions cannot
    /// cross into native code, so the first one is kept, every later key is rejected, and the search rethrows it.
    /// </summary>
    [UnmanagedCallersOnly]
    private static int AcceptKey(ulong key, void* state)
    {
        var s = (FilterState)GCHandle.FromIntPtr((nint)state).Target!;
        if (s.Error is not null || key > int.MaxValue)
        {
            return 0;
        }

        try
        {
            return s.Filter.Accepts((int)key) ? 1 : 0;
        }
        catch (Exception e)
        {
            s.Error = e;
            return 0;
        }
    }

    private sealed class FilterState(IRowFilter filter)
    {
        public IRowFilter Filter { get; } = filter;

        public Exception? Error { get; set; }
    }

    private static UsearchHandle Create(int dims, HnswOptions options, UsearchScalarKind scalar)
    {
        var init = new UsearchInitOptions
        {
            MetricKind = UsearchMetricKind.InnerProduct,
            Quantization = scalar,
            Dimensions = (nuint)dims,
            Connectivity = (nuint)options.Connectivity,
            ExpansionAdd = (nuint)options.ExpansionAdd,
            ExpansionSearch = (nuint)options.ExpansionSearch,
            Multi = 0,
        };
        nint error = 0;
        nint index = UsearchNative.usearch_init(&init, &error);
        var handle = new UsearchHandle(index); // owns the pointer even when init also reported an error
        if (error != 0 || index == 0)
        {
            handle.Dispose();
            UsearchNative.Check(error, "init");
            throw new InvalidOperationException("USearch init returned no index");
        }

        return handle;
    }

    private static void SetThreads(UsearchHandle handle, int add, int search)
    {
        nint error = 0;
        UsearchNative.usearch_change_threads_add(handle, (nuint)add, &error);
        UsearchNative.Check(error, "change_threads_add");
        UsearchNative.usearch_change_threads_search(handle, (nuint)search, &error);
        UsearchNative.Check(error, "change_threads_search");
    }

    private static bool Contains(UsearchHandle handle, ulong key)
    {
        nint error = 0;
        bool found = UsearchNative.usearch_contains(handle, key, &error);
        UsearchNative.Check(error, "contains");
        return found;
    }

    private static void AddRows(UsearchHandle handle, VectorTable table, int threads)
    {
        int rows = table.Rows;
        int chunks = (rows + BuildChunkRows - 1) / BuildChunkRows;
        int next = -1;

        void Worker()
        {
            float[]? buffer = table.ElementType == VectorElementType.Float32 ? null : new float[table.Cols];
            int chunk;
            while ((chunk = Interlocked.Increment(ref next)) < chunks)
            {
                int end = Math.Min(rows, (chunk + 1) * BuildChunkRows);
                for (int row = chunk * BuildChunkRows; row < end; row++)
                {
                    ReadOnlySpan<float> vector;
                    if (buffer is null)
                    {
                        vector = table.Row(row);
                    }
                    else
                    {
                        table.CopyRow(row, buffer);
                        vector = buffer;
                    }

                    nint error = 0;
                    fixed (float* v = vector)
                    {
                        UsearchNative.usearch_add(handle, (ulong)row, v, UsearchScalarKind.F32, &error);
                    }

                    UsearchNative.Check(error, $"add(row {row})");
                }
            }
        }

        if (threads <= 1)
        {
            Worker();
            return;
        }

        // Exactly `threads` workers at most: each concurrent add borrows one of the `threads` native contexts.
        try
        {
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Worker());
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
        }
    }

    private static UsearchScalarKind ToNative(HnswQuantization quantization) => quantization switch
    {
        HnswQuantization.Float32 => UsearchScalarKind.F32,
        HnswQuantization.Float16 => UsearchScalarKind.F16,
        HnswQuantization.Int8 => UsearchScalarKind.I8,
        HnswQuantization.BFloat16 => UsearchScalarKind.BF16,
        _ => throw new ArgumentOutOfRangeException(nameof(quantization), quantization, "unknown quantization"),
    };

    private static string Message(nint error) => Marshal.PtrToStringUTF8(error) ?? "unknown error";

    private static InvalidDataException Bad(string path, string reason) => new($"{path}: {reason}");

    /// <summary>Frees the native index once; later calls do nothing. Searches in flight finish first.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _handle.Dispose();
        }
    }
}
