namespace Karma.Training.Objectives;

/// <summary>The train-only regularizer families an <see cref="Objective"/> switches on beside L_act.</summary>
[Flags]
public enum Regularizers
{
    /// <summary>L_act alone.</summary>
    None = 0,

    /// <summary>L_gen: history-conditioned generation of the target's text.</summary>
    Gen = 1,

    /// <summary>L_rec: reconstruction of the target's text (and sentence embedding) from h_t alone.</summary>
    Rec = 2,

    /// <summary>L_img: reconstruction of the target's image feature from h_t.</summary>
    Img = 4,
}
