namespace Karma.Search.Lexical;

/// <summary>
/// Keeps the best <c>capacity</c> hits seen so far in a binary min-heap whose root is the worst kept hit.
/// "Better" means a higher score, and for equal scores a lower row, so the order is total and results are
/// deterministic.
/// </summary>
internal struct TopHeap
{
    private readonly LexicalHit[] _items;
    private int _count;

    public TopHeap(int capacity) => _items = new LexicalHit[capacity];

    /// <summary>False when a hit of this score certainly cannot enter (the heap is full of better or equal scores).</summary>
    /// <remarks>Hits are offered in ascending row order, so an equal score loses to the kept, lower row.</remarks>
    public readonly bool WouldKeep(float score) => _count < _items.Length || score > _items[0].Score;

    public void Offer(LexicalHit hit)
    {
        if (_count < _items.Length)
        {
            _items[_count] = hit;
            SiftUp(_count++);
        }
        else if (Better(hit, _items[0]))
        {
            _items[0] = hit;
            SiftDown(0);
        }
    }

    /// <summary>The kept hits, best first.</summary>
    public readonly LexicalHit[] ToSortedList()
    {
        var result = _items.AsSpan(0, _count).ToArray();
        Array.Sort(result, static (x, y) => Better(x, y) ? -1 : Better(y, x) ? 1 : 0);
        return result;
    }

    private static bool Better(LexicalHit x, LexicalHit y) =>
        x.Score > y.Score || (x.Score == y.Score && x.Row < y.Row);

    private readonly void SiftUp(int i)
    {
        LexicalHit item = _items[i];
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Better(_items[parent], item))
            {
                break;
            }

            _items[i] = _items[parent];
            i = parent;
        }

        _items[i] = item;
    }

    private readonly void SiftDown(int i)
    {
        LexicalHit item = _items[i];
        while (true)
        {
            int child = (2 * i) + 1;
            if (child >= _count)
            {
                break;
            }

            // The worse of the two children moves up.
            if (child + 1 < _count && Better(_items[child], _items[child + 1]))
            {
                child++;
            }

            if (!Better(item, _items[child]))
            {
                break;
            }

            _items[i] = _items[child];
            i = child;
        }

        _items[i] = item;
    }
}
