# Weight norm
# written by curvtrack report: reads weight_norm.dat and writes weight_norm.svg and weight_norm.png.
# Restyle freely and regenerate with: gnuplot weight_norm.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'weight_norm.svg'
set datafile missing 'nan'
set title 'Weight norm'
set xlabel 'fraction of training (step / total steps)'
set ylabel '||w||'
set grid
set key below
set style fill transparent solid 0.18 noborder
plot 'weight_norm.dat' index 0 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b01b9e77' notitle, \
     '' index 1 using 2:4:5 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 1 using 2:3 with lines lw 2 dt 1 lc rgb '#1b9e77' title 'gd-mse-eta0.04: weight norm (mean of 1, band min-max)'
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'weight_norm.png'
replot
unset output
