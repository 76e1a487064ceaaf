// Which definitions a reference case follows: the paper's (Rambo) or the authors' code (RamboOfficial).

import Rambo
import RamboOfficial

/// The `"convention"` of a reference case: the paper's equations or the authors' PyTorch code. The table at the
/// top of RamboOfficial's OfficialRanking.swift lists every difference.
public enum Convention: String, Sendable, CaseIterable, Codable {
    /// The paper's equations (integer ranks, λ_paper, macro averages, exact AP): Rambo. The chapters use this.
    case paper
    /// The authors' code (martius-lab/blackbox-backprop), quirks included, for checking ports of it: RamboOfficial.
    case official

    /// The recall loss of this convention.
    public func recallLoss(lambda: Double, margin: Double, weighting: RecallWeighting) -> any RankLoss {
        switch self {
        case .paper: return RecallLoss(lambda: lambda, margin: margin, weighting: weighting)
        case .official: return OfficialRecallLoss(lambda: lambda, margin: margin, weighting: weighting)
        }
    }

    /// The AP loss of this convention.
    public func apLoss(lambda: Double, margin: Double) -> any RankLoss {
        switch self {
        case .paper: return APLoss(lambda: lambda, margin: margin)
        case .official: return OfficialAPLoss(lambda: lambda, margin: margin)
        }
    }

    /// The mAP loss of this convention.
    public func mapLoss(lambda: Double, margin: Double, interclass: Double) -> any RankLoss {
        switch self {
        case .paper: return MAPLoss(lambda: lambda, margin: margin, interclass: interclass)
        case .official: return OfficialMAPLoss(lambda: lambda, margin: margin, interclass: interclass)
        }
    }

    /// The blackbox backward of this convention: `rankBackward` (λ_paper) or `officialRankBackward` (λ_code).
    public func rankBackward(scores: [Double], upstream: [Double], lambda: Double) -> [Double] {
        switch self {
        case .paper: return Rambo.rankBackward(scores: scores, upstream: upstream, lambda: lambda)
        case .official: return officialRankBackward(scores: scores, upstream: upstream, lambda: lambda)
        }
    }
}
