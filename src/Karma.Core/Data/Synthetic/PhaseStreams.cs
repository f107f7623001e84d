namespace Karma.Core.Data.Synthetic;

/// <summary>
/// The generator's random streams: one master stream seeds one stream per phase, in a fixed order. The
/// realistic presets' extra stream is drawn last, so the original presets' streams are exactly as before.
/// </summary>
internal sealed class PhaseStreams
{
    public PhaseStreams(int seed, bool realistic)
    {
        var master = new Random(seed);
        Catalog = new Random(master.Next());
        Image = new Random(master.Next());
        Text = new Random(master.Next());
        Event = new Random(master.Next());
        Realism = realistic ? new Random(master.Next()) : null;
    }

    /// <summary>Latent catalog attributes, popularity, cold items.</summary>
    public Random Catalog { get; }

    /// <summary>The image model's fixed vectors.</summary>
    public Random Image { get; }

    /// <summary>Titles, descriptions, prices and per-item image noise.</summary>
    public Random Text { get; }

    /// <summary>Users and their requests.</summary>
    public Random Event { get; }

    /// <summary>Realistic presets only: popularity by leaf and item arrivals.</summary>
    public Random? Realism { get; }
}
