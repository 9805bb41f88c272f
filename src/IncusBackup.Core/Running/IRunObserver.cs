using IncusBackup.Reporting;

namespace IncusBackup.Running;

/// <summary>
/// What a host does with what the workers of a <see cref="ThrottledRunner"/> report. Every method is called on the
/// thread that called <see cref="ThrottledRunner.Run"/>, one at a time, in the order the reports arrived; a method
/// that throws ends the run (the other workers are cancelled, and their cleanup awaited).
/// </summary>
public interface IRunObserver<in TItem, in TResult>
{
    void Verbose(string message);

    void Warning(string message);

    /// <param name="slot">The item's position in the list, for one progress bar per item.</param>
    void Progress(int slot, string item, ItemProgress progress);

    /// <summary>An item has finished (well or not): <paramref name="finished"/> of <paramref name="total"/> are done.</summary>
    void ItemDone(int slot, string item, int finished, int total);

    void Result(TItem item, TResult result);

    void Failure(TItem item, Exception error);
}
