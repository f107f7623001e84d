using System.Buffers;

namespace Karma.Search.Lexical;

/// <summary>
/// Every document matching a query with its BM25 score, in ascending row order.
/// </summary>
/// <remarks>
/// The two arrays are rented from the shared array pool, because a common term on a large catalog matches
/// hundreds of thousands of rows and a fresh pair of arrays per request would land on the large object heap.
/// <see cref="Dispose"/> returns them; not disposing is safe (the garbage collector takes them instead).
/// After <see cref="Dispose"/> the instance is empty, and spans obtained earlier must no longer be read.
/// Reading from many threads at once is safe; disposing while others read is not.
/// </remarks>
public sealed class LexicalMatches : IDisposable
{
    private int[] _rows;
    private float[] _scores;
    private int _count;
    private readonly bool _pooled;

    internal LexicalMatches(int[] rows, float[] scores, int count, float maxScore, bool pooled)
    {
        _rows = rows;
        _scores = scores;
        _count = count;
        MaxScore = maxScore;
        _pooled = pooled;
    }

    /// <summary>No match (a blank query, or no query term occurs in the index).</summary>
    public static LexicalMatches Empty => new([], [], 0, 0f, pooled: false);

    /// <summary>Number of matched documents.</summary>
    public int Count => _count;

    /// <summary>Matched rows, strictly ascending.</summary>
    public ReadOnlySpan<int> Rows => _rows.AsSpan(0, _count);

    /// <summary>BM25 scores, aligned with <see cref="Rows"/>; all positive.</summary>
    public ReadOnlySpan<float> Scores => _scores.AsSpan(0, _count);

    /// <summary>The largest score, 0 when nothing matched.</summary>
    public float MaxScore { get; private set; }

    /// <summary>The BM25 score of <paramref name="row"/>: 0 when it did not match (binary search).</summary>
    public float ScoreOf(int row)
    {
        int i = Rows.BinarySearch(row);
        return i >= 0 ? _scores[i] : 0f;
    }

    /// <summary>
    /// The <paramref name="k"/> best matches by score, best first; equal scores keep the lower row first.
    /// Only rows <paramref name="accept"/> returns true for are considered (it is called once per matched row,
    /// in ascending row order).
    /// </summary>
    public IReadOnlyList<LexicalHit> Top(int k, Func<int, bool>? accept = null)
    {
        if (k <= 0 || _count == 0)
        {
            return [];
        }

        var heap = new TopHeap(Math.Min(k, _count));
        ReadOnlySpan<int> rows = Rows;
        ReadOnlySpan<float> scores = Scores;
        for (int i = 0; i < rows.Length; i++)
        {
            // Cheap rejection first: the filter may be a dictionary or bitmap lookup.
            if (heap.WouldKeep(scores[i]) && (accept is null || accept(rows[i])))
            {
                heap.Offer(new LexicalHit(rows[i], scores[i]));
            }
        }

        return heap.ToSortedList();
    }

    /// <summary>Returns the arrays to the pool and leaves this instance empty.</summary>
    public void Dispose()
    {
        int[] rows = _rows;
        float[] scores = _scores;
        _rows = [];
        _scores = [];
        _count = 0;
        MaxScore = 0f;
        if (_pooled && rows.Length > 0)
        {
            ArrayPool<int>.Shared.Return(rows);
            ArrayPool<float>.Shared.Return(scores);
        }
    }
}
