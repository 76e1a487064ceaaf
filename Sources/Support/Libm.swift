// The one binding of the C maths library. The standard library has no elementary functions and the method's
// targets do not import Foundation, so every layer that needs log, exp or cos calls `Libm` instead of importing
// Glibc or Darwin itself.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The elementary functions of the platform's libm, for Doubles, correctly forwarded (no reimplementation:
/// results are bit-identical to calling libm directly).
public enum Libm {
    /// Natural logarithm.
    @inlinable public static func log(_ x: Double) -> Double { _libmLog(x) }
    /// log(1 + x), accurate for small x.
    @inlinable public static func log1p(_ x: Double) -> Double { _libmLog1p(x) }
    /// e^x.
    @inlinable public static func exp(_ x: Double) -> Double { _libmExp(x) }
    /// Cosine (radians).
    @inlinable public static func cos(_ x: Double) -> Double { _libmCos(x) }
    /// Sine (radians).
    @inlinable public static func sin(_ x: Double) -> Double { _libmSin(x) }
    /// Hyperbolic tangent.
    @inlinable public static func tanh(_ x: Double) -> Double { _libmTanh(x) }
}

@usableFromInline func _libmLog(_ x: Double) -> Double { log(x) }
@usableFromInline func _libmLog1p(_ x: Double) -> Double { log1p(x) }
@usableFromInline func _libmExp(_ x: Double) -> Double { exp(x) }
@usableFromInline func _libmCos(_ x: Double) -> Double { cos(x) }
@usableFromInline func _libmSin(_ x: Double) -> Double { sin(x) }
@usableFromInline func _libmTanh(_ x: Double) -> Double { tanh(x) }
