namespace Karma.Core.Data;

/// <summary>What a reader does with a row that breaks the format.</summary>
public enum BadRowPolicy
{
    /// <summary>Throw <see cref="DataFormatException"/> at the first bad row.</summary>
    Fail,
    /// <summary>Count the row, remember the first few reasons, and go on.</summary>
    Skip,
}

/// <summary>Bad rows seen while reading with <see cref="BadRowPolicy.Skip"/>.</summary>
public sealed class BadRowReport
{
    private const int MaxExamples = 20;
    private readonly List<DataFormatException> _examples = [];

    /// <summary>How many rows were skipped.</summary>
    public long Count { get; private set; }

    /// <summary>The first skipped rows' errors (at most 20).</summary>
    public IReadOnlyList<DataFormatException> Examples => _examples;

    /// <summary>Records one skipped row.</summary>
    public void Add(DataFormatException error)
    {
        Count++;
        if (_examples.Count < MaxExamples)
        {
            _examples.Add(error);
        }
    }

    /// <summary>Applies the policy: throws for <see cref="BadRowPolicy.Fail"/>, records otherwise.</summary>
    public void Handle(BadRowPolicy policy, DataFormatException error)
    {
        if (policy == BadRowPolicy.Fail)
        {
            throw error;
        }

        Add(error);
    }
}
