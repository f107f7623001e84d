namespace Karma.Core.Data.Synthetic;

/// <summary>
/// Which attribute words an item's title names. A keyword engine can only match a query's "red" to an item
/// whose title says so, even when the item is red; the production ranker uses this.
/// </summary>
[Flags]
internal enum TitleWords : byte
{
    /// <summary>No attribute word (the title is brand and noun).</summary>
    None = 0,

    /// <summary>The color.</summary>
    Color = 1,

    /// <summary>The material.</summary>
    Material = 2,

    /// <summary>The style.</summary>
    Style = 4,

    /// <summary>The audience.</summary>
    Audience = 8,
}
