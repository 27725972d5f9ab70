# Training and test accuracy
# written by curvtrack report: reads accuracy.dat and writes accuracy.svg and accuracy.png.
# Restyle freely and regenerate with: gnuplot accuracy.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'accuracy.svg'
set datafile missing 'nan'
set title 'Training and test accuracy'
set xlabel 'fraction of training (step / total steps)'
set ylabel 'accuracy'
set grid
set key below
set style fill transparent solid 0.18 noborder
plot 'accuracy.dat' index 0 using 3:4 with lines lw 0.7 dt 1 lc rgb '#b01b9e77' notitle, \
     '' index 1 using 2:4:5 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 1 using 2:3 with lines lw 2 dt 1 lc rgb '#1b9e77' title 'gd-mse-eta0.04: train accuracy (mean of 1, band min-max)', \
     '' index 2 using 3:4 with lines lw 0.7 dt 2 lc rgb '#b01b9e77' notitle, \
     '' index 3 using 2:4:5 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 3 using 2:3 with lines lw 2 dt 2 lc rgb '#1b9e77' title 'gd-mse-eta0.04: test accuracy (mean of 1, band min-max)'
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'accuracy.png'
replot
unset output
