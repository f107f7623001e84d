using System.Diagnostics.CodeAnalysis;

namespace Karma.Serving.Core.Indexing;

/// <summary>How an HNSW index stores its copy of the vectors.</summary>
public enum HnswQuantization
{
    /// <summary>32-bit floats: scores equal the exact inner products up to float rounding.</summary>
    [SuppressMessage("Naming", "CA1720", Justification = "Names the storage format, as VectorElementType does.")]
    Float32 = 0,

    /// <summary>16-bit floats: half the memory; scores carry float16 rounding (about 1e-3).</summary>
    Float16 = 1,

    /// <summary>
    /// 8-bit integers (USearch's i8: each component of a unit vector times 127, rounded): a quarter of the memory; the
    /// graph's distances are coarse, so recall drops (measured in docs/performance.md). For unit vectors only.
    /// </summary>
    [SuppressMessage("Naming", "CA1720", Justification = "Names the storage format, as VectorElementType does.")]
    Int8 = 2,

    /// <summary>
    /// bfloat16 (8 exponent bits, 7 mantissa bits): half the memory like <see cref="Float16"/>, coarser mantissa, and
    /// AVX-512 BF16 dot products where the CPU has them.
    /// </summary>
    BFloat16 = 3,
}

/// <summary>
/// Settings of an <see cref="HnswIndex"/>. Every property validates on assignment, so an instance (also one made
/// with <c>with</c>) is always usable.
/// </summary>
public sealed record HnswOptions
{
    private readonly int _connectivity = 16;
    private readonly int _expansionAdd = 128;
    private readonly int _expansionSearch = 64;
    private readonly int _searchThreads;
    private readonly int _buildThreads;
    private readonly int _refine = 1;
    private readonly HnswQuantization _quantization = HnswQuantization.Float32;

    /// <summary>Upper bound on search expansion (candidate list length) accepted by this binding.</summary>
    public const int MaxExpansion = 65_536;

    /// <summary>Graph edges per node and layer (HNSW <c>M</c>), 2..1024. Fixed when the index is built.</summary>
    public int Connectivity
    {
        get => _connectivity;
        init => _connectivity = Check(value, 2, 1024, nameof(Connectivity));
    }

    /// <summary>Candidate list length while building (<c>efConstruction</c>), 1..<see cref="MaxExpansion"/>.</summary>
    public int ExpansionAdd
    {
        get => _expansionAdd;
        init => _expansionAdd = Check(value, 1, MaxExpansion, nameof(ExpansionAdd));
    }

    /// <summary>
    /// Candidate list length while searching (<c>ef</c>), 1..<see cref="MaxExpansion"/>; a search for k results uses
    /// at least k. Changeable at runtime with <see cref="HnswIndex.ChangeExpansionSearch"/>.
    /// </summary>
    public int ExpansionSearch
    {
        get => _expansionSearch;
        init => _expansionSearch = Check(value, 1, MaxExpansion, nameof(ExpansionSearch));
    }

    /// <summary>
    /// Searches that may run at once, 0..4096; 0 means <see cref="Environment.ProcessorCount"/>. USearch keeps one
    /// search context per slot; further concurrent callers wait for a free slot.
    /// </summary>
    public int SearchThreads
    {
        get => _searchThreads;
        init => _searchThreads = Check(value, 0, 4096, nameof(SearchThreads));
    }

    /// <summary>Threads adding rows while building, 0..4096; 0 means <see cref="Environment.ProcessorCount"/>.</summary>
    public int BuildThreads
    {
        get => _buildThreads;
        init => _buildThreads = Check(value, 0, 4096, nameof(BuildThreads));
    }

    /// <summary>
    /// Candidates fetched from the graph per result wanted, 1..64, then re-scored exactly from the f32/f16 table and cut
    /// to k (Faiss calls it a refine step). 1, the default, is off. With quantized storage it buys back the recall the
    /// coarse distances lose, for k × refine row reads per query.
    /// </summary>
    public int Refine
    {
        get => _refine;
        init => _refine = Check(value, 1, 64, nameof(Refine));
    }

    /// <summary>How the index stores vectors. Fixed when the index is built; a saved index keeps its own.</summary>
    public HnswQuantization Quantization
    {
        get => _quantization;
        init => _quantization = Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Quantization), value, "unknown quantization");
    }

    internal int EffectiveSearchThreads => _searchThreads == 0 ? Environment.ProcessorCount : _searchThreads;

    internal int EffectiveBuildThreads => _buildThreads == 0 ? Environment.ProcessorCount : _buildThreads;

    internal static int Check(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in {min}..{max}");
        }

        return value;
    }
}
